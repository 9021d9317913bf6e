# A stdout callback for the collection's tests: every task's result and the stats as
# one JSON document (ansible-core's own `json` callback moved to ansible.posix).

from __future__ import annotations

import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: record
type: stdout
short_description: every task result and the stats as one JSON document
description: For tests.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "record"

    def __init__(self):
        super().__init__()
        self.tasks = []

    def _record(self, result, **status):
        self.tasks.append({"task": {"name": result._task.get_name()},
                           "hosts": {result._host.get_name(): {**result._result, **status}}})

    def v2_runner_on_ok(self, result, **kwargs):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        hosts = sorted(stats.processed.keys())
        self._display.display(json.dumps({
            "plays": [{"tasks": self.tasks}],
            "stats": {h: stats.summarize(h) for h in hosts}}, default=str))
