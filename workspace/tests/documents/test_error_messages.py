"""The error sentence a document or chat page shows says each thing once."""

import io

import pytest
from django.urls import reverse

from nexus_site.exceptions import ValidationError, error_text


@pytest.mark.django_db
def test_a_corrupt_import_says_its_error_once(client, user):
    client.force_login(user)
    upload = io.BytesIO(b"not office at all")
    upload.name = "x.docx"

    response = client.post(reverse("documents:import"), {"file": upload}, follow=True)

    page = response.content.decode()
    sentence = (
        "The file is not a Word, Excel or PowerPoint document (.docx, .xlsx, .pptx), "
        "or it is damaged."
    )
    assert page.count(sentence) == 1


def test_a_detail_equal_to_the_message_is_left_out():
    error = ValidationError("The file is damaged.", details={"file": ["The file is damaged."]})

    assert error_text(error) == "The file is damaged."


def test_a_detail_the_message_already_quotes_is_left_out():
    error = ValidationError(
        "The content does not fit: A1 is too long", details={"file": ["A1 is too long"]}
    )

    assert error_text(error) == "The content does not fit: A1 is too long"


def test_other_details_follow_the_message_once_each():
    error = ValidationError(
        details={"name": ["A room needs a name."], "kind": ["A room needs a name.", "Pick one."]}
    )

    assert error_text(error) == "The data is invalid. A room needs a name. Pick one."
