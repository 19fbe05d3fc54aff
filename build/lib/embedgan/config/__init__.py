"""The config resolved: settings and the rules between them, the registries' names, the study's plan, and the one owner of every output path."""
