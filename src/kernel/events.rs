//! The event list: a binary heap ordered by (time, sequence number), so that
//! simultaneous events run first-in-first-out and runs repeat exactly.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Simulated time in integer nanoseconds: exact under addition, totally ordered.
pub type Time = u64;

/// Nanoseconds per second.
pub const NS: f64 = 1e9;

/// Converts seconds to simulated time, rounding to the nearest nanosecond.
#[inline]
pub fn to_time(seconds: f64) -> Time {
    // `as` saturates: absurdly long samples become the far future, not UB.
    (seconds * NS).round() as Time
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
    },
    /// The next processor-sharing completion at an instance.
    PsDone {
        /// Global instance id.
        instance: u32,
        /// The instance's reschedule generation when scheduled.
        generation: u32,
    },
}

/// A scheduled event.
#[derive(Debug, Clone, Copy)]
pub struct Event {
    /// When it happens.
    pub time: Time,
    seq: u64,
    /// What happens.
    pub kind: EventKind,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Event {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest event.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// Pending events, earliest first; ties in insertion order.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Event>,
    next_seq: u64,
}

impl EventQueue {
    /// An empty queue with room for `capacity` events.
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue { heap: BinaryHeap::with_capacity(capacity), next_seq: 0 }
    }

    /// Schedules `kind` at `time`.
    #[inline]
    pub fn schedule(&mut self, time: Time, kind: EventKind) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Event { time, seq, kind });
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<Event> {
        self.heap.pop()
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_and_ties_in_insertion_order() {
        let mut q = EventQueue::default();
        q.schedule(5, EventKind::Arrival { class: 0 });
        q.schedule(3, EventKind::Arrival { class: 1 });
        q.schedule(5, EventKind::Arrival { class: 2 });
        q.schedule(3, EventKind::Arrival { class: 3 });
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|e| (e.time, e.kind)).collect();
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
