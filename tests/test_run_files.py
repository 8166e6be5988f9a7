"""What a run writes: atomic files that parallel writers of one shared path cannot break."""
import threading

from wgan_repro.run_files import atomic_write_bytes


def test_parallel_writers_of_one_file_never_break_each_other(tmp_path):
    target, errors = tmp_path / "shared.json", []

    def write(k):
        try:
            for _ in range(200):
                atomic_write_bytes(target, f"writer {k}\n".encode() * 100)
        except Exception as err:          # noqa: BLE001 - collected for the assertion
            errors.append(err)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:1]
    lines = target.read_text().splitlines()
    assert len(lines) == 100 and len(set(lines)) == 1                  # one writer's whole payload
    assert [p.name for p in tmp_path.iterdir()] == ["shared.json"]     # no temporary left behind
