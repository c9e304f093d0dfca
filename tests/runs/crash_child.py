"""A turn that streams forever and checkpoints as it goes, for the crash test to SIGKILL.

Prints ``READY <run_id>`` once the run has begun, then ``SAVED [<steps>, <text>]`` (JSON)
each time a checkpoint is on disk, each line in one write (the kill may still cut one short:
the test reads complete lines only). Word k of the stream is ``w<k> ``; after every seventh
word the model "calls a tool" and the tool's result is ``result <k>``. Uses only the public
API of ``core.runs`` and ``core.store``.
"""

import json
import sys
import time

from core.runs import LiveRun, run_durably
from core.store import Store

data_dir, session_id, interval = sys.argv[1], sys.argv[2], float(sys.argv[3])
store = Store(data_dir)
begun = store.begin_run(session_id, "tell me everything")
live = LiveRun(begun["run"]["id"], session_id)


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


say(f"READY {live.run_id}")
saved_steps = 0


def on_checkpoint(pending):
    global saved_steps
    saved_steps += len(pending.steps)
    say("SAVED " + json.dumps([saved_steps, pending.text]))


def work(run):
    k = 0
    while True:
        run.add_text(f"w{k} ")
        if k % 7 == 6:
            run.finish_assistant_step(
                [{"id": f"c{k}", "name": "list_directory", "arguments": "{}"}]
            )
            run.add_tool_result(f"c{k}", "list_directory", f"result {k}")
        k += 1
        time.sleep(0.002)


run_durably(store, live, work, interval=interval, on_checkpoint=on_checkpoint)
