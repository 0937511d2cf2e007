"""Drives a Jupyter kernel for the tests as Jupyter's own front ends do, through jupyter_client.

Usage: python3 kernel_driver.py KERNEL_NAME CWD. Reads one JSON request per line on stdin and answers each with one
JSON line on stdout, carrying the request's id:
  {"id": 1, "op": "execute", "code": "..."}  -> when the cell has finished: status (ok, error, abort), stdout, stderr,
                                                displays (the cell's display_data bundles, updates applied), error
                                                (the error output's evalue, if any: Deno's kernel shows a cell's
                                                error that way, tslab on stderr)
  {"id": 2, "op": "interrupt"}               -> KernelManager.interrupt_kernel(), as the notebook server sends it
                                                (SIGINT to the kernel's process group for interrupt_mode "signal")
  {"id": 3, "op": "shutdown"}                -> the kernel is shut down, then this script ends
Prints {"event": "ready"} once the kernel answers, and {"event": "died"} if the kernel process ends on its own.
"""
import json
import queue
import selectors
import signal
import sys
import tempfile

from jupyter_client.manager import KernelManager


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class Execution:
    def __init__(self, request_id):
        self.id = request_id
        self.stdout = ""
        self.stderr = ""
        self.displays = {}  # display_id (or its position) -> data, in the order shown
        self.error = None
        self.idle = False
        self.status = None

    def on_iopub(self, msg):
        kind, content = msg["msg_type"], msg["content"]
        if self.idle:
            return  # what comes after the kernel said the cell is done is dropped, as nbconvert does
        if kind == "stream":
            setattr(self, content["name"], getattr(self, content["name"]) + content["text"])
        elif kind == "display_data" or (kind == "update_display_data" and content["transient"]["display_id"] in self.displays):
            # An update of a display id no output has is dropped, as front ends do.
            key = content.get("transient", {}).get("display_id") or len(self.displays)
            self.displays[key] = content["data"]
        elif kind == "error":
            self.error = content["evalue"]
        elif kind == "status" and content["execution_state"] == "idle":
            self.idle = True

    def answer(self):
        return {"id": self.id, "status": self.status, "stdout": self.stdout, "stderr": self.stderr,
                "displays": list(self.displays.values()), "error": self.error}


def main(kernel_name, cwd):
    # Ended by a signal (the test was stopped), still shut the kernel down.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    # The kernel gets an output of its own: a Node.js kernel makes its stdout non-blocking, which on an inherited pipe
    # would make this script's answers fail half-written.
    log = tempfile.TemporaryFile()
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel(cwd=cwd, stdout=log, stderr=log)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        send({"event": "ready"})
        if not serve(km, kc):
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace"))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def serve(km, kc):
    """Answers requests until told to shut down (True) or the kernel dies (False)."""
    running = {}  # msg_id -> Execution
    stdin = selectors.DefaultSelector()
    stdin.register(sys.stdin, selectors.EVENT_READ)
    while True:
        if stdin.select(timeout=0.05):
            line = sys.stdin.readline()
            if not line:
                return True
            request = json.loads(line)
            if request["op"] == "execute":
                running[kc.execute(request["code"])] = Execution(request["id"])
            elif request["op"] == "interrupt":
                km.interrupt_kernel()
                send({"id": request["id"], "status": "sent"})
            elif request["op"] == "shutdown":
                send({"id": request["id"], "status": "down"})
                return True
        for msg in drain(kc.get_iopub_msg):
            execution = running.get(msg["parent_header"].get("msg_id"))
            if execution:
                execution.on_iopub(msg)
        for msg in drain(kc.get_shell_msg):
            execution = running.get(msg["parent_header"].get("msg_id"))
            if execution:
                execution.status = msg["content"]["status"]
        for msg_id, execution in list(running.items()):
            if execution.idle and execution.status:
                send(execution.answer())
                del running[msg_id]
        if not km.is_alive():
            send({"event": "died", "exit": km.provisioner.process.returncode})
            return False


def drain(get):
    while True:
        try:
            yield get(timeout=0)
        except queue.Empty:
            return


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
