"""Pytest plugin: upstream's tests unchanged, but every asyncio.start_server they open is OUR server.

The tests start upstream's server in-process on port 0 and read the port back from server.sockets; this plugin hands
them a stand-in whose socket reports our server's port instead, so the client calls in the test body go to our
server. Upstream's monkeypatches of its own handlers then touch nothing. OUR_DOIP_PORT is the server that accepts
testuser/testpass; OUR_DOIP_PORT_REJECT one configured with other credentials (for the invalid-credentials test).
"""
import asyncio
import os
import sys
import types

import pytest

# rocrate is not installable here; upstream's handlers import it at module level (never used on this path)
try:
    import rocrate  # noqa: F401
except ImportError:
    for name in ("rocrate", "rocrate.rocrate", "rocrate.model", "rocrate.model.file"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["rocrate.rocrate"].ROCrate = object
    sys.modules["rocrate.model.file"].File = object

_current = {"port": int(os.environ.get("OUR_DOIP_PORT", "3567"))}


@pytest.fixture(autouse=True)
def _choose_port(request):
    reject = os.environ.get("OUR_DOIP_PORT_REJECT")
    if reject and "invalid_credentials" in request.node.name:
        _current["port"] = int(reject)
    else:
        _current["port"] = int(os.environ.get("OUR_DOIP_PORT", "3567"))
    yield


class _Sock:
    def getsockname(self):
        return ("127.0.0.1", _current["port"])


class _OurServer:
    sockets = [_Sock()]

    async def serve_forever(self):
        await asyncio.Event().wait()

    def close(self):
        pass

    async def wait_closed(self):
        pass


async def _start_server(*_args, **_kwargs):
    return _OurServer()


asyncio.start_server = _start_server
