"""A killed recorder loses no acknowledged event; concurrent recorders lose and duplicate
nothing. The recorder is gb_record_driver, a host application using the C++ API."""
import random

from drivers import (duplicates, integrity_check, kill_round, print_figures, run_concurrently,
                     stored_events)
from harness import GlassboxCase


class CrashTest(GlassboxCase):
    def test_kill9_during_a_stream_keeps_every_acknowledged_event(self):
        rng = random.Random(0x9B0C)
        acked = []
        rounds = 6
        for r in range(rounds):
            # Up to 3,000 acknowledged events a round: several seals into blocks get cut too.
            acked += kill_round(self.journal, self.env, f"k{r}", rng.randint(1, 3000), rng)
        self.assertEqual(integrity_check(self.journal), "ok")
        events = stored_events(self)
        stored = {e["event_id"] for e in events}
        lost = [a for a in acked if a not in stored]
        figures = {"rounds": rounds, "acknowledged": len(acked), "stored": len(events),
                   "lost": len(lost), "duplicates": duplicates(events)}
        print_figures("e2e kill -9", figures)
        self.assertGreater(len(acked), rounds)
        self.assertEqual(lost, [])
        self.assertEqual(figures["duplicates"], 0)
        # The journal still takes events after all that.
        self.run_gb("record", "cli_event", "--field", "command=after")

    def test_four_concurrent_recorders_lose_and_duplicate_nothing(self):
        results = run_concurrently(self.journal, self.env, processes=4, count=400)
        acked = []
        for code, rows, err in results:
            self.assertEqual(code, 0, err)
            self.assertIn("dropped=0", err)
            acked += [event_id for event_id, _ in rows]
        events = stored_events(self)
        self.assertEqual(len(acked), 1600)
        self.assertEqual(sorted(e["event_id"] for e in events), sorted(acked))
        self.assertEqual(duplicates(events), 0)
        self.assertEqual(integrity_check(self.journal), "ok")
