//! Reads of a database spread over its primary and its replicas
//! (`primary_read`): which side serves a read.

use rand::RngExt;

use super::{Observer, Sim};

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// Whether this read of `db` goes to the primary: by the fixed
    /// `primary_share`, else to the side whose least loaded instance in
    /// rotation has the fewest connections (in service and waiting) per
    /// thread, ties to each side in turn. The chosen service's own balancer
    /// then picks the instance. Out of line: the step interpreter of models
    /// without it stays as it was laid out.
    #[inline(never)]
    pub(super) fn read_on_primary(&mut self, db: u32) -> bool {
        let d = &self.net.databases[db as usize];
        if let Some(share) = d.primary_share {
            return self.streams[d.split_stream as usize].random::<f64>() < share;
        }
        let primary = self.least_loaded(self.net.ops[d.primary_read_op as usize].service);
        let replicas = self.least_loaded(self.net.ops[d.read_op as usize].service);
        match (primary, replicas) {
            (Some((pc, pt)), Some((rc, rt))) => match (pc * rt).cmp(&(rc * pt)) {
                std::cmp::Ordering::Less => true,
                std::cmp::Ordering::Greater => false,
                std::cmp::Ordering::Equal => {
                    let tie = &mut self.db_states[db as usize].tie_to_primary;
                    *tie = !*tie;
                    *tie
                }
            },
            (p, _) => p.is_some(),
        }
    }

    /// The (connections, threads) of `service`'s instance in rotation with the
    /// fewest connections per thread; `None` when none is in rotation.
    fn least_loaded(&self, service: u32) -> Option<(u64, u64)> {
        let first = self.first_instance[service as usize] as usize;
        let n = self.fleets[service as usize].active as usize;
        self.instances[first..first + n]
            .iter()
            .filter(|i| BASIC || i.in_rotation(self.now))
            .map(|i| (u64::from(i.connections()), u64::from(i.threads)))
            .min_by(|a, b| (a.0 * b.1).cmp(&(b.0 * a.1)))
    }
}
