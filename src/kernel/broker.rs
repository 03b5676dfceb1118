//! Message queues (brokers) between services: publishing, consumers taking
//! messages when a thread frees, and clients polling a status endpoint for a
//! published message's outcome with backoff.

use std::collections::VecDeque;

use super::{EventKind, NONE, NS, Observer, Ready, Sim, Time, to_seconds, to_time};

/// Messages waiting in one broker queue.
pub(super) struct QueueState {
    pub(super) waiting: VecDeque<u32>,
    pub(super) last: Time,
    pub(super) area: u128,
}

impl QueueState {
    #[inline]
    pub(super) fn touch(&mut self, now: Time) {
        self.area = self.area_at(now);
        self.last = now;
    }

    /// Messages waiting x time, from the window's opening until `now`.
    pub(super) fn area_at(&self, now: Time) -> u128 {
        self.area + u128::from(now - self.last) * self.waiting.len() as u128
    }
}

/// A client polling for one published message.
pub(super) struct Poller {
    pub(super) message: u32,
    /// The message's slot generation at publish: a different one means it is done.
    pub(super) generation: u32,
    pub(super) queue: u32,
    pub(super) poll: u32,
    pub(super) wait: Time,
    pub(super) published: Time,
    /// The completion tracker of the message's request (`NONE`: none).
    pub(super) tracker: u32,
}

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// Starts the next message of `queue` on a thread of `instance` that is
    /// already counted busy. False when no message waits.
    pub(super) fn take_message(&mut self, queue: u32, instance: u32) -> bool {
        let now = self.now;
        let state = &mut self.queue_states[queue as usize];
        state.touch(now);
        let Some(m) = state.waiting.pop_front() else {
            return false;
        };
        let job = &mut self.jobs[m];
        job.instance = instance;
        job.holds_thread = true;
        if self.observing {
            self.queues[queue as usize].wait_sum += to_seconds(now - job.enqueued);
        }
        self.ready.push_back(Ready::Start(m));
        true
    }

    /// Hands a new message to a free consumer thread, or queues it.
    pub(super) fn offer_message(&mut self, id: u32, queue: u32) {
        let now = self.now;
        let service = self.net.ops[self.net.queues[queue as usize].consumer as usize].service as usize;
        if self.observing {
            self.services[service].arrivals += 1;
        }
        self.jobs[id].enqueued = now;
        if self.queue_states[queue as usize].waiting.is_empty() {
            let first = self.first_instance[service];
            let n = self.fleets[service].active;
            let offset = self.round_robin[service] % n;
            for k in 0..n {
                let i = first + (offset + k) % n;
                let inst = &mut self.instances[i as usize];
                if inst.busy() < inst.threads && inst.queued() == 0 && !inst.down {
                    inst.take_thread(now);
                    let job = &mut self.jobs[id];
                    job.instance = i;
                    job.holds_thread = true;
                    self.round_robin[service] = (offset + k + 1) % n;
                    self.ready.push_back(Ready::Start(id));
                    self.rekey(i);
                    return;
                }
            }
        }
        let state = &mut self.queue_states[queue as usize];
        state.touch(now);
        state.waiting.push_back(id);
    }

    /// A message's consumer op ended.
    pub(super) fn finish_message(&mut self, id: u32) {
        let job = self.jobs.remove(id);
        if job.parent_gen != 0 {
            self.work_done(job.parent_gen, job.failure.is_some());
        }
        if self.observing {
            let stats = &mut self.queues[job.parent_token as usize];
            match job.failure {
                Some(_) => stats.failed += 1,
                None => {
                    let latency = self.now - job.arrived;
                    stats.consumed += 1;
                    stats.latency_sum += to_seconds(latency);
                    stats.latency.saturating_record(latency.max(1));
                }
            }
        }
    }

    /// The client of a new message starts polling for it.
    pub(super) fn start_poller(&mut self, message: u32, queue: u32, poll: u32, tracker: u32) {
        let wait = to_time(self.net.polls[poll as usize].first);
        let generation = self.jobs.generation(message);
        let p = Poller { message, generation, queue, poll, wait, published: self.now, tracker };
        let id = match self.free_pollers.pop() {
            Some(id) => {
                self.pollers[id as usize] = p;
                id
            }
            None => {
                self.pollers.push(p);
                (self.pollers.len() - 1) as u32
            }
        };
        self.events.schedule(self.now.saturating_add(wait), EventKind::PollDue { poller: id });
    }

    /// A status poll came back: done, or poll again after a longer wait.
    pub(super) fn poll_answered(&mut self, poller: u32) {
        let now = self.now;
        let p = &mut self.pollers[poller as usize];
        let done = self.jobs.generation(p.message) != p.generation;
        if self.observing {
            let stats = &mut self.queues[p.queue as usize];
            stats.polls += 1;
            if done {
                stats.seen += 1;
                stats.seen_sum += to_seconds(now - p.published);
            }
        }
        if done {
            let tracker = p.tracker;
            self.free_pollers.push(poller);
            if tracker != NONE {
                self.work_seen(tracker);
            }
            return;
        }
        let poll = &self.net.polls[p.poll as usize];
        p.wait = to_time((p.wait as f64 / NS * poll.factor).min(poll.cap));
        self.events.schedule(now.saturating_add(p.wait), EventKind::PollDue { poller });
    }
}
