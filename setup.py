"""Where each part of the santelex package lies in the repository (metadata: pyproject.toml).

The repository keeps the top level its users asked for (``ingest/``, ``ontology/``, ``shapes/``,
``queries/``, ``data/``); installed, they all live inside the one package ``santelex``
(``santelex.ingest``, ``santelex.shapes``, …), so nothing of santelex lands at the top level of
``site-packages`` and every bundled file is found with ``importlib.resources``.
"""
from setuptools import find_packages, setup

#: package name -> folder of the repository
MOVED = {"santelex.ingest": "ingest", "santelex.ontology": "ontology", "santelex.shapes": "shapes",
         "santelex.queries": "queries", "santelex.data": "data"}

packages = find_packages(include=["santelex", "santelex.*"])
for name, folder in MOVED.items():
    packages += [name + sub[len(folder):] for sub in find_packages(include=[folder, folder + ".*"])]

setup(
    packages=packages,
    package_dir={"santelex": "santelex", **MOVED},
    package_data={
        "santelex.web": ["templates/*.html", "static/*.css"],
        "santelex.validation": ["templates/*.html"],
        "santelex.ontology": ["**/*.ttl"],
        "santelex.shapes": ["**/*.ttl"],
        "santelex.queries": ["**/*.rq"],
        "santelex.data": ["seeds/*", "corpus/*"],
    },
)
