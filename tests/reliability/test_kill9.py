"""kill -9 at random moments of a recording process (a host application on the C++ API):
no acknowledged event is lost, the journal always passes integrity_check, nothing is stored
twice. Short form 30 kills, long form 1,000."""
import os
import random
import shutil

from drivers import duplicates, integrity_check, kill_round, print_figures
from harness import GlassboxCase
from rel import size

# A fresh journal every SEGMENT rounds keeps each final check fast in the long form.
SEGMENT = 50


class Kill9Test(GlassboxCase):
    def test_kill9_loop(self):
        rounds = size(30, 1000)
        rng = random.Random(int(os.environ.get("GLASSBOX_SEED", "7")))
        totals = {"kills": 0, "acknowledged": 0, "stored": 0, "lost": 0, "duplicates": 0,
                  "integrity_failures": 0}
        acked = []
        for r in range(rounds):
            acked += kill_round(self.journal, self.env, f"k{r}", rng.randint(1, 3000), rng)
            totals["kills"] += 1
            if integrity_check(self.journal) != "ok":
                totals["integrity_failures"] += 1
            if (r + 1) % SEGMENT == 0 or r + 1 == rounds:
                self.check_segment(acked, totals)
                acked = []
                shutil.rmtree(os.path.dirname(self.journal))
        print_figures("kill -9 loop", totals)
        self.assertGreater(totals["acknowledged"], rounds)
        self.assertEqual(totals["lost"], 0)
        self.assertEqual(totals["integrity_failures"], 0)
        self.assertEqual(totals["duplicates"], 0)

    def check_segment(self, acked, totals):
        events = self.events()
        stored = {e["event_id"] for e in events}
        totals["acknowledged"] += len(acked)
        totals["stored"] += len(events)
        totals["lost"] += sum(1 for a in acked if a not in stored)
        totals["duplicates"] += duplicates(events)
