from modeltranslation.translator import TranslationOptions, register

from patterns.models import Pattern


@register(Pattern)
class PatternTranslationOptions(TranslationOptions):
    fields = ("name", "description")
