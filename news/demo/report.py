"""What a `load_demo` run did, counted as it goes and told in one sentence.

"created 4 topics, 2 stories and 14 questions; left 1 edited question alone"
"""

from collections import Counter
from dataclasses import dataclass, field


def noun(model):
    """(singular, plural) of a model, in its own verbose names."""
    return (str(model._meta.verbose_name), str(model._meta.verbose_name_plural))


def counted(counter, adjective=""):
    """ "3 stories, 1 question and 2 readers": a Counter of (singular, plural) nouns."""
    items = [
        f"{n} {adjective}{singular if n == 1 else plural}"
        for (singular, plural), n in counter.items()
    ]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# (phrase, Report field, adjective for its nouns), in the order the summary tells them.
PHRASES = [
    ("removed {}", "removed", ""),
    ("restored {}", "restored", "edited "),
    ("created {}", "created", ""),
    ("resolved {}", "resolved", ""),
    ("annulled {}", "annulled", ""),
    ("left {} alone", "left_alone", "edited "),
]


@dataclass
class Report:
    """Counts by what happened to a row; each key a (singular, plural) noun."""

    removed: Counter = field(default_factory=Counter)
    restored: Counter = field(default_factory=Counter)
    created: Counter = field(default_factory=Counter)
    resolved: Counter = field(default_factory=Counter)
    annulled: Counter = field(default_factory=Counter)
    # Rows an editor changed since they were loaded: never written over without --reset.
    left_alone: Counter = field(default_factory=Counter)

    @property
    def changed(self):
        return any((self.removed, self.restored, self.created, self.resolved, self.annulled))

    def summary(self):
        return "; ".join(
            phrase.format(counted(getattr(self, bucket), adjective))
            for phrase, bucket, adjective in PHRASES
            if getattr(self, bucket)
        )
