"""Which models take part in the graph, which typed edges between them are allowed, and which
foreign keys are structural parents. Apps fill it in ``AppConfig.ready()``; it is then
checked once and only read, so every process builds the same registry from the same code."""

from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, UUIDField

from nexus_site.definitions.enums import RelationType


def model_label(model: type[Model]) -> str:
    """Return the node label of a model: ``app_label.modelname``."""
    return model._meta.label_lower


@dataclass
class Registry:
    participants: dict[str, type[Model]] = field(default_factory=dict)
    rules: set[tuple[str, str, str]] = field(default_factory=set)
    structural_parents: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def register_model(
        self, model: type[Model], *, structural_parents: tuple[str, ...] = ()
    ) -> None:
        """Let ``model`` take part; ``structural_parents`` name its parent foreign keys."""
        self.participants[model_label(model)] = model
        if structural_parents:
            self.structural_parents[model_label(model)] = tuple(structural_parents)

    def allow(self, type: str, source: type[Model], target: type[Model]) -> None:
        """Allow edges of ``type`` from ``source`` models to ``target`` models."""
        self.rules.add((str(type), model_label(source), model_label(target)))
        if type == RelationType.PARENT:
            self.rules.add((RelationType.CHILD.value, model_label(target), model_label(source)))
        elif type == RelationType.CHILD:
            self.rules.add((RelationType.PARENT.value, model_label(target), model_label(source)))
        elif type == RelationType.LINKED:
            self.rules.add((RelationType.LINKED.value, model_label(target), model_label(source)))

    def is_allowed(self, type: str, source_label: str, target_label: str) -> bool:
        return (type, source_label, target_label) in self.rules

    def problems(self) -> list[str]:
        """Return every inconsistency in the declarations."""
        found = []
        for label, model in self.participants.items():
            pk = model._meta.pk
            if not isinstance(pk, UUIDField):
                found.append(f"{label}: a graph node needs a UUID primary key")
        for type_, source, target in sorted(self.rules):
            if type_ not in RelationType.values:
                found.append(f"unknown relationship type {type_!r}")
            for label in (source, target):
                if label not in self.participants:
                    found.append(f"rule ({type_}, {source}, {target}): {label} is not registered")
        for label, names in self.structural_parents.items():
            model = self.participants[label]
            for name in names:
                try:
                    fk = model._meta.get_field(name)
                except Exception:  # FieldDoesNotExist
                    found.append(f"{label}.{name}: no such field")
                    continue
                if not fk.many_to_one or model_label(fk.related_model) not in self.participants:
                    found.append(
                        f"{label}.{name}: a structural parent must be a foreign key "
                        "to a registered model"
                    )
        return found

    def check(self) -> None:
        """Fail loudly at start when a declaration is wrong."""
        problems = self.problems()
        if problems:
            raise ImproperlyConfigured("Relations registry: " + "; ".join(problems))


registry = Registry()
