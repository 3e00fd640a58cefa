"""Settings package: ``base`` holds everything; ``local``, ``test`` and ``production`` adjust it.

``manage.py`` defaults to ``local`` (the embedded default that ``make run`` serves), pytest uses
``test`` and a deployment sets ``DJANGO_SETTINGS_MODULE=jwo_console.settings.production``.
"""
