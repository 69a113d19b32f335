"""Which labels say nothing about a person but a race, ethnicity, nationality, religion,
sexual orientation or sex: the `no_identity` vocabulary policy.

Labelling faces by race, ethnicity or sex is the behaviour the work shows; an installer must be
able to choose not to show it. The rule is WordNet's own structure, not a word list of ours
(wordnet_labels/README.md gives it with its counts):

- GROUP_ROOTS: subtrees whose members are defined by a group: inhabitants of a place
  (nationalities, peoples), persons of colour, American Indians, white people, Africans, Slavs,
  Jews, religious and non-religious persons, sexual orientations. A few sub-subtrees in them
  are roles or dwellings, not groups (ROLE_SUBTREES: monks and nuns, religious leaders,
  residents and tenants) and stay.
- SEX_SYNSETS: the bare sex and gender synsets (male person, female person, man, woman),
  themselves only; "girl" or "widower" say more than a sex.
- A synset is left out when it is a bare sex synset, or when one of its hypernym paths runs
  through a group root and every other path does too or runs through nothing but bare sex
  synsets (and adult, of which man and woman are hyponyms too): Jewess (Jew, and woman),
  Black woman (Black, and adult > woman). A synset with any other path keeps it (pope: spiritual
  leader, as well as Catholic).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.labels.taxonomy import Synset, Taxonomy

GROUP_ROOTS: Mapping[str, str] = {
    "inhabitant.n.01": "nationality or people (inhabitant of a place)",
    "native.n.01": "nationality or people (native of a place)",
    "native.n.02": "nationality (born in a place)",
    "person_of_color.n.01": "race or ethnicity (person of colour)",
    "amerindian.n.01": "ethnicity (American Indian)",
    "white.n.01": "race or ethnicity (white, Caucasoid)",
    "black.n.05": "race or ethnicity (Black)",
    "mixed-blood.n.01": "race or ethnicity (mixed blood)",
    "african.n.01": "nationality or ethnicity (African)",
    "slav.n.01": "ethnicity (Slav)",
    "jat.n.01": "ethnicity (Jat)",
    "latin.n.03": "ethnicity (Latin peoples)",
    "jew.n.01": "religion or ethnicity (Jew)",
    "religious_person.n.01": "religion",
    "nonreligious_person.n.01": "religion (its absence)",
    "gentile.n.02": "religion (not of one's own)",
    "homosexual.n.01": "sexual orientation",
    "heterosexual.n.01": "sexual orientation",
    "bisexual.n.01": "sexual orientation or sex",
    "pansexual.n.01": "sexual orientation",
    "transsexual.n.01": "sex or gender",
    "transsexual.n.02": "sex or gender",
    "transvestite.n.01": "sex or gender",
}
ROLE_SUBTREES: Mapping[str, str] = {
    "religious.n.01": "members of religious orders: monk, nun, abbot (a way of life)",
    "religious_leader.n.01": "religious leaders (an office)",
    "resident.n.01": "residents, tenants, townsfolk (where one lives, not who one is)",
}
SEX_SYNSETS: Mapping[str, str] = {
    "male.n.02": "sex", "female.n.02": "sex", "man.n.01": "sex", "woman.n.01": "sex",
}
# man and woman are also hyponyms of adult ("man, adult male"): a path through adult and then
# man or woman says no more than the sex does
ADULT = "adult.n.01"


class IdentityRule:
    """The wnids of GROUP_ROOTS, ROLE_SUBTREES and SEX_SYNSETS in one taxonomy."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        by_name = {s.name: s.wnid for s in taxonomy}
        missing = [n for n in (*GROUP_ROOTS, *ROLE_SUBTREES, *SEX_SYNSETS, ADULT)
                   if n not in by_name]
        if missing:
            raise ValueError(f"{taxonomy.source}: no synset {', '.join(missing)} in the taxonomy")
        self.groups = {by_name[n]: why for n, why in GROUP_ROOTS.items()}
        self.roles = {by_name[n] for n in ROLE_SUBTREES}
        self.sex = {by_name[n] for n in SEX_SYNSETS}
        self._sex_path = self.sex | {by_name[ADULT]}

    def _group_of(self, path: tuple[str, ...]) -> str | None:
        """The reason of the deepest group root on the path, unless a role subtree lies
        below it (a monk is under religious person, but is a monk)."""
        found = None
        for wnid in path:
            if wnid in self.groups:
                found = self.groups[wnid]
            elif wnid in self.roles:
                found = None
        return found

    def reasons(self, synsets: list[Synset]) -> dict[str, str]:
        """wnid -> why, for every synset of `synsets` that is only a group or a sex. Shallow
        synsets are decided first, so that a path through one already left out (soul brother:
        male > man > Black man) counts as saying no more than that one does."""
        out: dict[str, str] = {}
        for synset in sorted(synsets, key=lambda s: max(len(p) for p in s.paths)):
            if synset.wnid in self.sex:
                out[synset.wnid] = "sex"
                continue
            found: list[str] = []
            for path in synset.paths:
                group = self._group_of(path)
                if group is not None:
                    found.append(group)
                elif (len(path) <= 2 or any(w in self.roles for w in path)
                      or not all(w in self._sex_path or w in out for w in path[1:-1])):
                    found = []  # a path through something else: the label says more
                    break
                else:  # through sex synsets, or through labels already left out
                    found += [out[w] for w in path[1:-1] if w in out and out[w] != "sex"]
            if found:
                out[synset.wnid] = "; ".join(dict.fromkeys(found))
        return out


@lru_cache(maxsize=4)
def identity_reasons(taxonomy: Taxonomy) -> dict[str, str]:
    """wnid -> why, for every synset the `no_identity` policy leaves out (beyond offence)."""
    return IdentityRule(taxonomy).reasons(list(taxonomy))
