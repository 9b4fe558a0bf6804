"""The search page: the same request as the API (search.forms), the same selector."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.utils.http import urlencode
from django.views import View

from search import registry, selectors
from search.forms import SearchQuerySerializer

PAGE_SIZE = 20


def query_string(**params) -> str:
    return "?" + urlencode({name: value for name, value in params.items() if value})


class SearchPage(LoginRequiredMixin, View):
    """Results grouped by kind (all kinds) or one kind page by page, with facets."""

    def get(self, request):
        raw_q = request.GET.get("q", "").strip()
        context = {"q": raw_q, "results": None, "errors": []}
        if raw_q:
            params = SearchQuerySerializer(data={**request.GET.dict(), "limit": PAGE_SIZE})
            if params.is_valid():
                context.update(self.results(request.user, params.validated_data))
            else:
                context["errors"] = [
                    str(message) for messages in params.errors.values() for message in messages
                ]
        return render(request, "search/search.html", context)

    def results(self, user, data: dict) -> dict:
        kind, project, offset = data.get("type"), data.get("project"), data["offset"]
        results = selectors.search(
            user, data["q"], type=kind, project=project, limit=PAGE_SIZE, offset=offset
        )
        kinds = registry.kinds()
        labels = {name: kinds[name].label for name in kinds}
        base = {"q": data["q"], "project": project or ""}

        def shown(count: int) -> str:  # past the cap a count is a lower bound: "1000+"
            return f"{count}+" if results.capped else str(count)

        facets = [
            {
                "type": "",
                "label": None,
                "count": shown(sum(results.counts.values())),
                "url": query_string(**base),
                "current": kind is None,
            }
        ] + [
            {
                "type": name,
                "label": labels[name],
                "count": shown(count),
                "url": query_string(**base, type=name),
                "current": kind == name,
            }
            for name, count in results.counts.items()
            if count or kind == name
        ]
        groups = []
        for name in kinds:
            hits = [hit for hit in results.hits if hit.type == name]
            if hits:
                groups.append(
                    {
                        "type": name,
                        "label": labels[name],
                        "hits": hits,
                        "count": results.counts[name],
                        "shown": shown(results.counts[name]),
                        "url": query_string(**base, type=name),
                    }
                )
        page = {}
        if kind is not None:
            if results.more_after(offset, PAGE_SIZE):
                page["next"] = query_string(**base, type=kind, offset=offset + PAGE_SIZE)
            if offset > 0:
                page["previous"] = query_string(
                    **base, type=kind, offset=max(offset - PAGE_SIZE, 0)
                )
        return {
            "results": results,
            "facets": facets,
            "groups": groups,
            "kind": kind,
            "page": page,
            "labels": labels,
        }
