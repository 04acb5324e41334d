"""Package discovery: every package under briefgen/ plus the shipped layouts.

pyproject.toml holds the metadata; a setup.py is needed only because setuptools'
declarative `packages.find` cannot be combined with the layouts' package-dir.
"""
from setuptools import find_packages, setup

setup(packages=find_packages(include=["briefgen", "briefgen.*"]) + ["briefgen_layouts"])
