# Nexus: the two commands are `make run` (use it) and `make test` (prove it).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test fuzz serve setup messages lint check-deploy clean bench bench-projects bench-workspace bench-chat bench-patterns bench-http bench-triggers

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when requirements.txt changed since the last install.
$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

messages: $(STAMP)
	@command -v msgfmt >/dev/null || { echo "msgfmt not found: install gettext (apt-get install gettext)"; \
		[ "$$(id -u)" = 0 ] && apt-get install -y -qq gettext >/dev/null; }
	DJANGO_DEBUG=true $(PY) manage.py compilemessages --ignore '.venv/*' --ignore 'var/*' -v 0

setup: $(STAMP) messages

# Embedded default: SQLite under var/, eager Celery, in-memory channel layer, demo data.
# It runs as a newcomer should meet Nexus, with DJANGO_DEBUG off (the app's own error pages,
# never Django's debug pages; `make run DJANGO_DEBUG=true` for those), over plain HTTP on this
# machine: a secret key of its own in var/secret-key, static files collected for WhiteNoise,
# e-mail links (SITE_URL) to HOST and PORT. Ctrl+C stops it; `make clean` resets the demo.
run: DJANGO_DEBUG ?= false
run: RUN_ENV = DJANGO_DEBUG=$(DJANGO_DEBUG) DJANGO_SECURE_SSL_REDIRECT=false \
	DJANGO_SECURE_COOKIES=false DJANGO_HSTS_SECONDS=0 HOST=$(HOST) PORT=$(PORT) \
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat var/secret-key)}"
run: setup
	@mkdir -p var; test -s var/secret-key || \
		$(PY) -c "import secrets; print(secrets.token_urlsafe(50))" >var/secret-key
	@$(RUN_ENV) $(PY) manage.py migrate --no-input -v 0
	@$(RUN_ENV) $(PY) manage.py collectstatic --no-input -v 0
	@$(RUN_ENV) $(PY) manage.py seed_demo --force
	@echo "Nexus is starting at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/); Ctrl+C stops it"
	@$(RUN_ENV) exec $(VENV)/bin/daphne -b $(HOST) -p $(PORT) nexus_site.asgi:application

# The whole suite. DATABASE_URL/REDIS_URL switch it to PostgreSQL/Redis and add `services` tests.
test: setup
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# API fuzzing, wider than the suite's run (docs/FUZZING.md): FUZZ_MAX_EXAMPLES=200 FUZZ_SEED=1.
fuzz: setup
	@seed=$${FUZZ_SEED:-$$RANDOM}; echo "FUZZ_SEED=$$seed (run again with it to replay)"; \
	FUZZ_SEED=$$seed FUZZ_MAX_EXAMPLES=$${FUZZ_MAX_EXAMPLES:-50} FUZZ_COVERAGE=$${FUZZ_COVERAGE:-true} \
	$(VENV)/bin/pytest tests/test_api_fuzzing.py -p no:logging $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_DEBUG=true $(PY) manage.py makemigrations --check --dry-run -v 0
	DJANGO_DEBUG=true $(PY) manage.py spectacular --fail-on-warn --validate --file /dev/null

check-deploy: $(STAMP)
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-check-deploy-$$(head -c 32 /dev/urandom | base64)}" \
	DJANGO_DEBUG=false DJANGO_ALLOWED_HOSTS=nexus.example.com \
	$(PY) manage.py check --deploy --fail-level WARNING

# Services mode from the Procfile against DATABASE_URL and REDIS_URL: web (gunicorn, HTTP) on
# PORT, ws (daphne, /ws/) on WS_PORT (8001), worker, beat. A reverse proxy routes /ws/ to ws.
serve: setup
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || { echo "serve needs DATABASE_URL and REDIS_URL"; exit 2; }
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input -v 0
	exec $(VENV)/bin/honcho start --port $(PORT)

# Relations bench on PostgreSQL (docs/PERFORMANCE.md): BENCH_ARGS="--relationships 20000 --reuse".
bench: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	NEXUS_GRAPH_LAB=true DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/nexus_bench} \
	$(PY) bench/relations.py $(BENCH_ARGS)

# Schedule of a 10,000-task project on PostgreSQL (docs/PERFORMANCE.md, Projects).
bench-projects: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/nexus_bench} \
	$(PY) bench/projects.py $(BENCH_ARGS)

# AI stats over 1,000,000 interactions, 10 MiB uploads, document saves (docs/PERFORMANCE.md, Workspace).
bench-workspace: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/nexus_bench} \
	$(PY) bench/workspace.py $(BENCH_ARGS)

# Chat through daphne: API posts per second, post-to-socket latency with 20 clients (docs/PERFORMANCE.md, Chat).
bench-chat: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/nexus_bench_chat} \
	BENCH_REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/11} \
	$(PY) bench/chat.py $(BENCH_ARGS)

# Every endpoint under load through gunicorn, against a bare Django view (docs/PERFORMANCE.md, HTTP).
# BENCH_ARGS="--seconds 2" for a quick run. Installs wrk (Debian) when missing.
bench-http: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "bench-http needs wrk: apt-get install wrk"; exit 2; }
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/nexus_bench_http} \
	BENCH_REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/13} \
	$(PY) bench/http.py $(BENCH_ARGS)

# Patterns engine per step, ten-step executions/s inline and through 2 worker processes (docs/PERFORMANCE.md, Patterns).
# Triggers through 2 real workers: commit → run started, bursts of 1,000 with a worker SIGKILLed (docs/PERFORMANCE.md, Triggers).
bench-triggers: $(STAMP)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/nexus_bench_triggers} \
	BENCH_REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/14} \
	$(PY) bench/triggers.py $(BENCH_ARGS)

bench-patterns: $(STAMP)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/nexus_bench_patterns} \
	BENCH_REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/12} \
	$(PY) bench/patterns.py $(BENCH_ARGS)

# Webhook deliveries/s to a local receiver, in-process and through 2 worker processes, against a bare
# requests.post loop (docs/PERFORMANCE.md, Webhooks). BENCH_ARGS="--deliveries 100" for a quick run.
.PHONY: bench-webhooks
bench-webhooks: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/nexus_bench_webhooks} \
	BENCH_REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/14} \
	$(PY) bench/webhooks.py $(BENCH_ARGS)

# An event for a project of 1,000 members, commit to every member's bell socket, through daphne and a
# Celery worker (docs/PERFORMANCE.md, Notifications). BENCH_ARGS="--events 10" for a quick run.
.PHONY: bench-notifications
bench-notifications: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/nexus_bench_notifications} \
	BENCH_REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/12} \
	$(PY) bench/notifications.py $(BENCH_ARGS)

clean:
	rm -rf var/ .pytest_cache .ruff_cache
