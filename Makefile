# The same checks CI runs (.ci/run runs the tests); `make check` adds lint and types
# when the dev extra is installed (pip install -e '.[test,dev]').
.PHONY: test check lint types bench

test:
	python -m pytest -n 2 -q

lint:
	ruff check board storage sync tests bench
	ruff format --check board storage sync

types:
	mypy board/model.py board/document.py board/document_values.py board/change_ops.py board/record_index.py board/service.py board/service_core.py board/lookups.py board/use_cases.py board/boardfile.py board/doctor.py board/doctor_repair.py board/backups.py board/cli_admin.py storage

check: lint types test

bench:
	python bench/open_board.py
