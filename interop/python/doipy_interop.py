"""
Drives doipy (GWDG) and doip-sdk (GWDG) against our server's DOIP v2.0 port, one call per step, and prints one line
per step: "PASS <step> <detail>" or "FAIL <step> <error>". Before each step it writes the step's name to the label
file, so a recording proxy in between can tag the bytes of that step. Both clients speak TLS only.

    PYTHONPATH=<doipy and doip_sdk> python3 doipy_interop.py HOST PORT SERVICE_ID TOKEN USERNAME PASSWORD LABEL_FILE

doipy is used through its DOIP module (`doipy.doip`, or `doipy.actions.doip` in later releases); calls doipy has no
function for (invoke, includeElementData) go through doip-sdk's `send_request`, as doipy's own code does.
"""
import json
import os
import sys
import tempfile
import traceback
from pathlib import Path

from doip_sdk import send_request

try:
    from doipy import doip as ops
except ImportError:  # later doipy releases
    from doipy.actions import doip as ops

host, port, service_id, token, username, password = sys.argv[1], int(sys.argv[2]), *sys.argv[3:7]
label_file = sys.argv[7] if len(sys.argv) > 7 else None
failures = 0
state = {}
OK = '0.DOIP/Status.001'


def step(name, body):
    global failures
    if label_file:
        Path(label_file).write_text(name)
    try:
        detail = body()
        print(f'PASS {name} {detail if detail is not None else ""}'.replace('\n', ' ')[:400], flush=True)
    except Exception as e:  # noqa: BLE001 - every failure is a finding
        failures += 1
        where = traceback.extract_tb(e.__traceback__)[-1]
        print(f'FAIL {name} {type(e).__name__}: {e} (at {Path(where.filename).name}:{where.lineno})'.replace('\n', ' '),
              flush=True)


def check(ok, what):
    if not ok:
        raise AssertionError(what)


def first(answer):
    check(isinstance(answer, list) and len(answer) > 0, f'an answer: {answer!r}')
    return answer[0]


def status_ok(answer):
    head = first(answer)
    check(head.get('status') == OK, f'status {head.get("status")}: {json.dumps(head)[:300]}')
    return head


def raw(segments, stream=False):
    """doip-sdk's own send_request, answer decoded the way doipy does (segments as JSON where they parse)"""
    response = send_request(host, port, segments)
    out = []
    for segment in response.content:
        try:
            out.append(json.loads(segment))
        except (ValueError, UnicodeDecodeError):
            out.append(bytes(segment))
    return out


work = Path(tempfile.mkdtemp(prefix='doipy-interop-'))
os.chdir(work)  # doipy's retrieve writes an element to a file named by attributes.filename, in the working directory
hello_file = work / 'hello.txt'
hello_file.write_bytes(b'Hello World\n')


def hello():
    head = status_ok(ops.hello(service_id, host, port))
    check(head['output']['attributes']['protocolVersion'] == '2.0', 'protocolVersion 2.0')
    return head['output']['id']


def list_ops_service():
    head = status_ok(ops.list_operations(service_id, host, port))
    check('0.DOIP/Op.Create' in head['output'], f'Create listed: {head["output"]}')
    return head['output']


def list_ops_object():
    head = status_ok(ops.list_operations('Q123', host, port, token=token))
    check('0.DOIP/Op.Retrieve' in head['output'], 'Retrieve listed')
    return head['output']


def create_with_file():
    head = status_ok(ops.create(service_id, host, port, do_type='Document', do_name='doipy interop', bitsq=hello_file,
                                metadata={'description': 'made by doipy'}, token=token))
    out = head['output']
    check(len(out.get('elements', [])) == 1, 'one element')
    element = out['elements'][0]
    check(element['attributes']['filename'] == 'hello.txt', 'filename kept')
    check(element['length'] == 12, 'length 12')
    state['id'], state['element'] = out['id'], element['id']
    return f'{out["id"]} element {element["id"]}'


def create_no_file():
    head = status_ok(ops.create(service_id, host, port, do_type='Dataset', do_name='doipy no file',
                                username=username, password=password))
    state['id2'] = head['output']['id']
    return state['id2']


def create_client_id():
    head = status_ok(ops.create(service_id, host, port, do_type='Dataset', do_name='doipy clientId',
                                client_id=username, password=password))
    state['id3'] = head['output']['id']
    return state['id3']


def retrieve():
    head = status_ok(ops.retrieve(state['id'], host, port))
    content = head['output']['attributes']['content']
    check(content.get('name') == 'doipy interop', f'content.name kept as sent: {json.dumps(content)[:300]}')
    return head['output']['id']


def retrieve_element():
    head = status_ok(ops.retrieve(state['id'], host, port, file=state['element'], token=token))
    written = (work / head['attributes']['filename']).read_bytes()
    check(written == b'Hello World\n', f'file bytes {written!r}')
    return f'wrote {head["attributes"]["filename"]}'


def retrieve_include_element_data():
    answer = raw([{'targetId': state['id'], 'operationId': '0.DOIP/Op.Retrieve',
                   'attributes': {'includeElementData': True}}])
    check(answer[0]['status'] == OK, f'status {answer[0]}')
    check(answer[-1] == b'Hello World\n', f'element bytes last: {answer[-1]!r}')
    return f'{len(answer)} segments'


def update_metadata():
    status_ok(ops.update_metadata(state['id'], host, port, metadata={'name': 'doipy interop, updated'}, token=token))
    head = status_ok(ops.retrieve(state['id'], host, port))
    check(head['output']['attributes']['content'].get('name') == 'doipy interop, updated', 'new name stored')
    check(len(head['output'].get('elements', [])) == 1, 'element kept')
    return 'ok'


def update_bitsq():
    new_file = work / 'hello2.txt'
    new_file.write_bytes(b'Hello again\n')
    status_ok(ops.update_bitsq(state['id'], host, port, bitsq=new_file, token=token))
    head = status_ok(ops.retrieve(state['id'], host, port, file=state['element']))
    written = (work / head['attributes']['filename']).read_bytes()
    check(written == b'Hello again\n', f'new bytes {written!r}')
    return head['attributes']['filename']


def search():
    head = status_ok(ops.search(service_id, host, port, query='*'))
    ids = [r['id'] for r in head['output']['results']]
    check(state['id'] in ids, f'created id in {ids}')
    return f'size {head["output"]["size"]}'


def invoke():
    answer = raw([{'targetId': state['id'], 'operationId': '0.DOIP/Op.Invoke', 'attributes': {'workflow': 'fixity'},
                   'authentication': {'token': token}}])
    check(answer[0]['status'] == OK, f'status {answer[0]}')
    return f'{len(answer)} segments'


def bad_token():
    head = first(ops.create(service_id, host, port, do_type='Document', token='wrong-token'))
    check(head['status'] == '0.DOIP/Status.102', f'102 expected: {head}')
    return head['status']


def delete():
    status_ok(ops.delete(state['id'], host, port, token=token))
    status_ok(ops.delete(state['id2'], host, port, username=username, password=password))
    if 'id3' in state:
        status_ok(ops.delete(state['id3'], host, port, client_id=username, password=password))
    head = first(ops.retrieve(state['id'], host, port))
    check(head['status'] == '0.DOIP/Status.104', f'104 after delete: {head}')
    return 'deleted'


for name, body in [('hello', hello), ('listOperations-service', list_ops_service),
                   ('listOperations-object', list_ops_object), ('create-with-file', create_with_file),
                   ('create-without-file', create_no_file), ('create-clientId-password', create_client_id),
                   ('retrieve', retrieve), ('retrieve-element', retrieve_element),
                   ('retrieve-includeElementData', retrieve_include_element_data),
                   ('update-metadata-roundtrip', update_metadata), ('update-bitsq', update_bitsq),
                   ('search', search), ('invoke-fixity', invoke), ('credentials-bad-token', bad_token),
                   ('delete', delete)]:
    step(name, body)

print('ALL PASS' if failures == 0 else f'{failures} FAILED', flush=True)
sys.exit(0 if failures == 0 else 1)
