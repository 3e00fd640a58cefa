# The console's image: web (gunicorn), workers and beat all run from it (compose.yaml, README
# "Operations"). Settings come from the environment; nothing secret is baked in.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=jwo_console.settings.production

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# collectstatic needs settings that import; these placeholders exist only for this step.
RUN SECRET_KEY=build-only JWO_CONNECTOR_SECRET=build-only PROCESSOR_URL=http://build.invalid \
    PROCESSOR_API_KEY=build-only python manage.py collectstatic --noinput \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin jwo \
 && mkdir -p /app/var && chown -R jwo /app/var

USER jwo
EXPOSE 8000
CMD ["gunicorn", "jwo_console.wsgi", "--workers", "4", "--threads", "4", \
     "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--forwarded-allow-ips", "*"]
