//! When a request's asynchronous work is done. A request that publishes
//! gets a tracker, which counts what is still outstanding: the request
//! itself (its reply) and every message published on its behalf, by its own
//! operations, by its calls, or by the consumers of its messages (their
//! downstream work). When the count reaches zero the work is complete, and
//! the class records its completion latency, from the request's arrival. The
//! tracker also counts the polls still waiting to see their message done:
//! when the last one has, the class records the seen-done latency.
//!
//! A request or message job has no parent generation to keep, so it holds
//! 1 + its tracker there (`Job::parent_gen`, 0: none); a call finds its
//! request's tracker by walking up its callers. A call whose caller is gone
//! (an orphan left by a timeout) belongs to no request: what it publishes is
//! not counted.

use super::{Observer, Sim, Time, to_seconds};
use crate::model::{MESSAGE, NONE};

/// The outstanding work of one request that published.
pub(super) struct Tracker {
    /// The request's arrival.
    arrived: Time,
    /// When the last polled message was seen done (valid once `unseen` is 0).
    seen_at: Time,
    /// The request, if it has not finished, and its messages not yet processed.
    outstanding: u32,
    /// Polls that have not yet seen their message done.
    unseen: u32,
    /// The request's class.
    class: u16,
    /// The reply or a message failed: neither latency is recorded.
    failed: bool,
    /// A publish had a polling client.
    polled: bool,
}

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// Counts a message that job `publisher` just published (with a polling
    /// client when `polled`) against its request's work, and returns the
    /// tracker the message belongs to (`NONE`: it belongs to no request).
    pub(super) fn track_publish(&mut self, publisher: u32, polled: bool) -> u32 {
        let Some(root) = self.root_of(publisher) else { return NONE };
        let job = &self.jobs[root];
        let tracker = match job.parent_gen {
            // A message that belongs to no request passes that on.
            0 if job.parent == MESSAGE => return NONE,
            0 => {
                let t = Tracker {
                    arrived: job.arrived,
                    seen_at: 0,
                    outstanding: 1,
                    unseen: 0,
                    class: job.class,
                    failed: false,
                    polled: false,
                };
                let id = match self.free_trackers.pop() {
                    Some(id) => {
                        self.trackers[id as usize] = t;
                        id
                    }
                    None => {
                        self.trackers.push(t);
                        (self.trackers.len() - 1) as u32
                    }
                };
                self.jobs[root].parent_gen = id + 1;
                id
            }
            t => t - 1,
        };
        let t = &mut self.trackers[tracker as usize];
        t.outstanding += 1;
        t.unseen += u32::from(polled);
        t.polled |= polled;
        tracker
    }

    /// The request or message whose work job `id` is part of; `None` when a
    /// caller on the way up is gone.
    fn root_of(&self, mut id: u32) -> Option<u32> {
        loop {
            let job = &self.jobs[id];
            if job.parent == NONE || job.parent == MESSAGE {
                return Some(id);
            }
            if self.jobs.generation(job.parent) != job.parent_gen {
                return None;
            }
            id = job.parent;
        }
    }

    /// A request or message of the work `tag` names (1 + its tracker, as
    /// `Job::parent_gen` holds it) finished, failed or not.
    pub(super) fn work_done(&mut self, tag: u32, failed: bool) {
        let tracker = tag - 1;
        let t = &mut self.trackers[tracker as usize];
        t.failed |= failed;
        t.outstanding -= 1;
        if t.outstanding > 0 {
            return;
        }
        let (class, latency, ok) = (usize::from(t.class), self.now - t.arrived, !t.failed);
        if self.observing && ok {
            let state = &mut self.classes[class];
            if let (Some(counts), Some(tally)) = (&mut state.completion, &mut state.stats.completion) {
                counts.record(latency);
                tally.sum += to_seconds(latency);
                tally.count += 1;
            }
        }
        if self.trackers[tracker as usize].unseen == 0 {
            self.release_tracker(tracker);
        }
    }

    /// A poll saw its message done.
    pub(super) fn work_seen(&mut self, tracker: u32) {
        let t = &mut self.trackers[tracker as usize];
        t.unseen -= 1;
        if t.unseen == 0 {
            t.seen_at = self.now;
            if t.outstanding == 0 {
                self.release_tracker(tracker);
            }
        }
    }

    /// All of a request's work is done and every poll has seen its message:
    /// records when the client knew, and frees the tracker.
    fn release_tracker(&mut self, tracker: u32) {
        let t = &self.trackers[tracker as usize];
        if self.observing && t.polled && !t.failed {
            let latency = t.seen_at - t.arrived;
            let state = &mut self.classes[usize::from(t.class)];
            if let (Some(counts), Some(tally)) = (&mut state.seen_done, &mut state.stats.seen_done) {
                counts.record(latency);
                tally.sum += to_seconds(latency);
                tally.count += 1;
            }
        }
        self.free_trackers.push(tracker);
    }
}
