"""python-hcl2 shares one serialization context between calls: reads from many threads must not change what
any later read returns (a stuck context once made `drift` lose every `ignore_changes` for the rest of a run)."""

from __future__ import annotations

import threading

from toolkit import hcl_reader

TEXT = '''resource "aws_s3_bucket" "this" {
  bucket = "${var.prefix}-files"
  tags   = merge(var.tags, { Name = "${var.prefix}-${(var.index + 1)}" })
  lifecycle {
    ignore_changes = [tags["owner"], versioning]
  }
}
'''


def test_reads_from_many_threads_leave_every_later_read_unchanged() -> None:
    expected = hcl_reader.load_hcl(TEXT)
    failures: list[BaseException] = []
    start = threading.Barrier(8)

    def read_many() -> None:
        start.wait()
        try:
            for _ in range(60):
                assert hcl_reader.load_hcl(TEXT) == expected
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=read_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[0]
    assert hcl_reader.load_hcl(TEXT) == expected, "a read after the threads differs: the shared context is stuck"
