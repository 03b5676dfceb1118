//! The event list: a 4-ary min-heap ordered by (time, sequence number), so
//! that simultaneous events run first-in-first-out and runs repeat exactly.
//!
//! The key packs time and sequence into one `u128`, so an ordering test is a
//! single integer comparison; a 4-ary heap is half as deep as a binary one
//! and its four children share a cache line or two.
//!
//! Events of which at most one is ever pending (an open class's next
//! arrival) can instead live in lanes beside the heap: scheduling one is a
//! store, not a sift. Keys come from the same sequence, so the order of
//! events is the same whichever side holds them.

/// Simulated time in integer nanoseconds: exact under addition, totally ordered.
pub type Time = u64;

/// Nanoseconds per second.
pub const NS: f64 = 1e9;

/// Converts seconds to simulated time, rounding to the nearest nanosecond.
#[inline]
pub fn to_time(seconds: f64) -> Time {
    // Adding one half and truncating rounds non-negative values without a
    // libm call; `as` saturates, so absurdly long samples become the far future.
    let ns = seconds * NS + 0.5;
    if (0.0..I64_LIMIT).contains(&ns) {
        // SAFETY: `ns` is finite and in [0, 2^63), so it truncates to an
        // `i64` without overflow, to the value `as Time` gives. This is one
        // instruction; a saturating `f64 as u64` is a dozen.
        unsafe { ns.to_int_unchecked::<i64>() as Time }
    } else {
        saturate(ns)
    }
}

/// `to_time`'s rare path, out of line: inlined, the compiler computes both
/// paths and picks one without a branch, which costs more than the branch.
#[cold]
#[inline(never)]
fn saturate(ns: f64) -> Time {
    ns as Time
}

/// 2^63, the first `f64` that an `i64` cannot hold.
const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// Converts a span of simulated time to seconds.
#[inline]
pub fn to_seconds(span: Time) -> f64 {
    // Through `i64`: one instruction where `u64 as f64` takes a chain of
    // four, and the same value for any span below 2^63 ns (292 years),
    // which `min` makes every span.
    span.min(i64::MAX as Time) as i64 as f64 / NS
}

/// What happens at an event. Small and `Copy`: the heap moves these around.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The next request of a class arrives (or a closed-loop user wakes up).
    Arrival {
        /// Class id.
        class: u32,
    },
    /// A job's CPU work on a dedicated core ends.
    CpuDone {
        /// Job id.
        job: u32,
        /// The job slot's generation when scheduled; stale events are skipped.
        generation: u32,
        /// The job's token when scheduled: a changed token means its instance failed.
        token: u32,
    },
    /// A job's wait for a pool connection times out.
    PoolTimeout {
        /// Job id.
        job: u32,
        /// The job slot's generation when scheduled.
        generation: u32,
        /// The job's token when scheduled: a changed token means the wait ended.
        token: u32,
    },
    /// A caller's patience with a round of a call runs out.
    CallTimeout {
        /// Calling job.
        job: u32,
        /// The job slot's generation when scheduled.
        generation: u32,
        /// The job's token when scheduled: a changed token means the round ended.
        token: u32,
    },
    /// A time-series interval ends.
    Tick,
    /// An autoscaler's window ends: decide.
    Autoscale {
        /// Service id.
        service: u32,
    },
    /// A new instance of an autoscaled service has started.
    InstanceUp {
        /// Service id.
        service: u32,
    },
    /// An instance fails.
    InstanceFail {
        /// Global instance id.
        instance: u32,
    },
    /// A failed instance is repaired.
    InstanceRepair {
        /// Global instance id.
        instance: u32,
    },
    /// A class's bursts start or stop.
    Burst {
        /// Class id.
        class: u32,
    },
    /// A client polls for its published message.
    PollDue {
        /// Index of the poller.
        poller: u32,
    },
    /// A backoff ends: the failed round is sent again.
    RetryDue {
        /// Calling job.
        job: u32,
        /// The job slot's generation when scheduled.
        generation: u32,
        /// The job's token when scheduled.
        token: u32,
    },
    /// A call or its reply arrives over the network.
    Wake {
        /// Job id.
        job: u32,
        /// The job slot's generation when scheduled.
        generation: u32,
    },
    /// A hedged call's copy has not replied in time: its twin may go out.
    HedgeDue {
        /// The copy.
        job: u32,
        /// Its slot's generation when sent; a copy that replied is gone.
        generation: u32,
    },
    /// An instance's CPU gate changes: a CPU limit's period ends, or a pause starts or ends.
    Gate {
        /// Global instance id.
        instance: u32,
        /// Which change.
        edge: GateEdge,
    },
    /// The next processor-sharing completion at an instance.
    PsDone {
        /// Global instance id.
        instance: u32,
        /// The instance's reschedule generation when scheduled.
        generation: u32,
    },
}

/// What changes at an instance's CPU gate (see `EventKind::Gate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateEdge {
    /// The CFS period in which the instance was throttled ends.
    ThrottleEnd,
    /// A stop-the-world pause starts.
    PauseStart,
    /// The pause ends.
    PauseEnd,
}

/// A scheduled event.
#[derive(Debug, Clone, Copy)]
pub struct Event {
    /// When it happens.
    pub time: Time,
    /// What happens.
    pub kind: EventKind,
}

/// Children per heap node.
const ARITY: usize = 4;

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// `time << 64 | seq`.
    key: u128,
    kind: EventKind,
}

/// A lane with nothing pending.
const EMPTY: u128 = u128::MAX;

/// The filler behind the heap's last entry: later than any event.
const FILLER: Entry = Entry { key: EMPTY, kind: EventKind::Tick };

/// Fillers kept behind the last entry, so that every node with a child has
/// a full family of `ARITY` slots to compare.
const PADDING: usize = ARITY - 1;

/// Pending events, earliest first; ties in insertion order.
///
/// The earliest event is removed lazily: `pop` returns the root but leaves
/// it in place as a hole, and the next operation fills the hole. Most events
/// schedule another (a service completion starts the next job, a
/// closed-loop user's reply starts its think time), so the new event
/// usually fills the hole with one sift-down from the root, where an eager
/// pop would sift the last entry down and the push would then sift the new
/// one up.
#[derive(Debug)]
pub struct EventQueue {
    /// The heap's `len` entries, then `PADDING` fillers.
    heap: Vec<Entry>,
    /// Entries in the heap, the hole included.
    len: usize,
    next_seq: u64,
    /// The root was returned by `pop` and is no longer pending.
    hole: bool,
    /// One slot per lane (key `EMPTY`: nothing pending); never empty, so
    /// that `pop` need not check.
    lanes: Vec<Entry>,
    /// The lane with the earliest key.
    first_lane: usize,
    /// Lanes with an event pending.
    in_lanes: usize,
}

impl Default for EventQueue {
    fn default() -> Self {
        EventQueue::new(0, 0)
    }
}

impl EventQueue {
    /// An empty queue with room for `capacity` events and `lanes` lanes.
    pub fn new(capacity: usize, lanes: usize) -> Self {
        let mut heap = Vec::with_capacity(capacity + PADDING);
        heap.resize(PADDING, FILLER);
        EventQueue {
            heap,
            len: 0,
            next_seq: 0,
            hole: false,
            lanes: vec![FILLER; lanes.max(1)],
            first_lane: 0,
            in_lanes: 0,
        }
    }

    #[inline]
    fn next_key(&mut self, time: Time) -> u128 {
        let key = (u128::from(time) << 64) | u128::from(self.next_seq);
        self.next_seq += 1;
        key
    }

    /// Schedules `kind` at `time` in `lane`, which must have nothing pending.
    #[inline]
    pub fn schedule_in_lane(&mut self, lane: usize, time: Time, kind: EventKind) {
        let key = self.next_key(time);
        debug_assert_eq!(self.lanes[lane].key, EMPTY, "one event per lane");
        self.lanes[lane] = Entry { key, kind };
        self.in_lanes += 1;
        if key < self.lanes[self.first_lane].key {
            self.first_lane = lane;
        }
    }

    /// Empties the earliest lane and returns its event.
    #[inline]
    fn take_first_lane(&mut self) -> Entry {
        let lane = &mut self.lanes[self.first_lane];
        let entry = *lane;
        lane.key = EMPTY;
        self.in_lanes -= 1;
        if self.lanes.len() > 1 {
            self.first_lane = (0..self.lanes.len()).min_by_key(|&i| self.lanes[i].key).expect("lanes are never empty");
        }
        entry
    }

    /// Schedules `kind` at `time`.
    // Inlined at every call site: called, it received `kind` through the
    // stack, stored four bytes at a time and read back as one 16-byte load,
    // which the processor cannot forward from those stores (a stall on
    // every event; perf put 8% of M/M/8's samples after that load).
    #[inline(always)]
    pub fn schedule(&mut self, time: Time, kind: EventKind) {
        let key = self.next_key(time);
        let entry = Entry { key, kind };
        if self.hole {
            self.hole = false;
            return sift_down(&mut self.heap, self.len, entry);
        }
        // Slot `len` holds a filler: it becomes the new entry's, and one
        // more filler goes at the end.
        let mut i = self.len;
        self.len += 1;
        self.heap.push(FILLER);
        // A slice of known length lets the compiler drop the bounds checks below.
        let heap = &mut self.heap[..=i];
        // Sift up: move parents down until the new entry's place is found.
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if heap[parent].key <= key {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = entry;
    }

    /// Removes and returns the earliest event.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<Event> {
        self.pop_with_source().map(|(event, _)| event)
    }

    /// `pop`, also telling whether the event came from a lane. A caller
    /// that branches on this instead of on the event's kind takes the same
    /// branch as the comparison that chose the lane, which a processor
    /// predicts from that comparison; a jump on the kind it mispredicts
    /// whenever the order of arrivals and other events is random.
    #[inline(always)]
    pub fn pop_with_source(&mut self) -> Option<(Event, bool)> {
        if self.hole {
            // Nothing filled the hole: the last entry does.
            self.hole = false;
            self.len -= 1;
            let last = std::mem::replace(&mut self.heap[self.len], FILLER);
            self.heap.pop();
            if self.len > 0 {
                sift_down(&mut self.heap, self.len, last);
            }
        }
        let lane_key = self.lanes[self.first_lane].key;
        // An empty heap's root is a filler, later than any lane's event.
        let root = self.heap[0];
        let (top, from_lane) = if root.key < lane_key {
            self.hole = true;
            (root, false)
        } else if lane_key != EMPTY {
            (self.take_first_lane(), true)
        } else {
            return None;
        };
        Some((Event { time: (top.key >> 64) as Time, kind: top.kind }, from_lane))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.len - usize::from(self.hole) + self.in_lanes
    }

    /// True when nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Puts `entry` in the root's place (the root is gone) and sifts it down
/// among the first `n` entries of `heap`, which fillers follow.
#[inline(always)]
fn sift_down(heap: &mut [Entry], n: usize, entry: Entry) {
    let mut i = 0;
    loop {
        let first = i * ARITY + 1;
        if first >= n {
            break;
        }
        // The family is full, padded with fillers if need be: a two-round
        // tournament with no loop and one bounds check, instead of a loop
        // whose every comparison is an unpredictable branch. A filler never
        // wins: the first child is an entry.
        let c = &heap[first..first + ARITY];
        let a = usize::from(c[1].key < c[0].key);
        let b = 2 + usize::from(c[3].key < c[2].key);
        let best = first + if c[b].key < c[a].key { b } else { a };
        if heap[best].key >= entry.key {
            break;
        }
        heap[i] = heap[best];
        i = best;
    }
    heap[i] = entry;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_time_matches_a_saturating_conversion_everywhere() {
        let limit_seconds = I64_LIMIT / NS;
        let mut edges = vec![
            0.0,
            -0.0,
            -1e-12,
            -1.0,
            4.9e-10,
            5e-10,
            1.0,
            limit_seconds,
            limit_seconds.next_down(),
            limit_seconds.next_up(),
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        // And a spread of magnitudes, so every exponent takes the fast path.
        let mut x = 1e-12_f64;
        while x < 1e12 {
            edges.extend([x, x * 1.37, x.next_up()]);
            x *= 3.0;
        }
        for seconds in edges {
            let expected = (seconds * NS + 0.5) as Time;
            assert_eq!(to_time(seconds), expected, "{seconds:e} s");
        }
    }

    #[test]
    fn earliest_first_and_ties_in_insertion_order() {
        let mut q = EventQueue::default();
        q.schedule(5, EventKind::Arrival { class: 0 });
        q.schedule(3, EventKind::Arrival { class: 1 });
        q.schedule(5, EventKind::Arrival { class: 2 });
        q.schedule(3, EventKind::Arrival { class: 3 });
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|e| (e.time, e.kind)).collect();
        assert_eq!(order.iter().map(|o| o.0).collect::<Vec<_>>(), vec![3, 3, 5, 5]);
        let classes: Vec<u32> = order
            .iter()
            .map(|(_, k)| match k {
                EventKind::Arrival { class } => *class,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(classes, vec![1, 3, 0, 2]);
    }
}

#[cfg(test)]
mod heap_tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn pops_in_key_order_like_a_sorted_list() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let mut q = EventQueue::default();
        let mut expected = Vec::new();
        let mut seq = 0u32;
        for round in 0..2000 {
            // Interleave pushes and pops, with many equal times.
            for _ in 0..rng.random_range(0..4) {
                let t = rng.random_range(0..50u64) + round;
                q.schedule(t, EventKind::Arrival { class: seq });
                expected.push((t, seq));
                seq += 1;
            }
            if rng.random_bool(0.6) {
                expected.sort();
                if let Some(e) = q.pop() {
                    let want = expected.remove(0);
                    assert_eq!((e.time, e.kind), (want.0, EventKind::Arrival { class: want.1 }));
                }
            }
        }
        expected.sort();
        assert_eq!(q.len(), expected.len());
        for want in expected {
            let e = q.pop().unwrap();
            assert_eq!((e.time, e.kind), (want.0, EventKind::Arrival { class: want.1 }));
        }
        assert!(q.is_empty());
        assert!(q.pop().is_none());
        // Empty, then refilled through the hole the last pop left.
        q.schedule(9_999, EventKind::Tick);
        assert_eq!(q.len(), 1);
        assert_eq!(q.pop().map(|e| e.time), Some(9_999));
        assert!(q.pop().is_none());
    }

    #[test]
    fn lanes_and_heap_pop_in_one_order() {
        // Three lanes (one pending event each at most) beside the heap: the
        // events come out by time, ties in the order they were scheduled.
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(4);
        let mut q = EventQueue::new(0, 3);
        let mut expected = Vec::new();
        let mut busy = [false; 3];
        let mut seq = 0u32;
        for round in 0..3000u64 {
            for _ in 0..rng.random_range(0..4) {
                let t = rng.random_range(0..20u64) + round;
                let lane = rng.random_range(0..5usize);
                if lane < 3 && !busy[lane] {
                    busy[lane] = true;
                    q.schedule_in_lane(lane, t, EventKind::Burst { class: lane as u32 });
                    expected.push((t, seq, EventKind::Burst { class: lane as u32 }));
                } else {
                    q.schedule(t, EventKind::Arrival { class: seq });
                    expected.push((t, seq, EventKind::Arrival { class: seq }));
                }
                seq += 1;
            }
            if rng.random_bool(0.7) {
                expected.sort_by_key(|e| (e.0, e.1));
                if let Some(e) = q.pop() {
                    let want = expected.remove(0);
                    assert_eq!((e.time, e.kind), (want.0, want.2));
                    if let EventKind::Burst { class } = e.kind {
                        busy[class as usize] = false;
                    }
                }
            }
            assert_eq!(q.len(), expected.len());
        }
        expected.sort_by_key(|e| (e.0, e.1));
        for want in expected {
            let e = q.pop().unwrap();
            assert_eq!((e.time, e.kind), (want.0, want.2));
        }
        assert!(q.pop().is_none());
    }
}
