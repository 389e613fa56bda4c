# One image for the API, the workers and the migrations; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# Dependencies first, pinned by the constraints file, so code changes reuse this layer.
COPY pyproject.toml constraints.txt README.md ./
COPY moderation/__init__.py moderation/__init__.py
COPY workers/__init__.py workers/__init__.py
COPY models/__init__.py models/__init__.py
RUN pip install -c constraints.txt .

COPY moderation moderation
COPY workers workers
COPY models models
RUN pip install --no-deps -c constraints.txt . \
    && useradd --system --uid 10001 moderation
USER moderation

EXPOSE 8000
CMD ["moderation", "serve", "--host", "0.0.0.0", "--port", "8000"]
