//! Sets of packet identifiers, as bitmaps: the identifiers a sender has in use, and the QoS 2
//! identifiers a receiver has answered with PUBREC.

use alloc::vec;
use alloc::vec::Vec;

use crate::PacketId;

/// 65,536 bits: one per 16-bit value. The storage is allocated on first insertion, so a session
/// that never uses QoS 1 or 2 holds none.
const WORDS: usize = 1024;

/// A set of packet identifiers with a fixed footprint (8 KiB once used), whatever the peer does.
#[derive(Clone, Debug, Default)]
pub(crate) struct PidSet {
    bits: Vec<u64>,
    len: usize,
}

impl PidSet {
    /// Releases the bitmap when no identifier is in the set.
    pub(crate) fn shrink_to_fit(&mut self) {
        if self.len == 0 {
            self.bits = Vec::new();
        }
    }

    pub(crate) fn contains(&self, pid: PacketId) -> bool {
        let (word, bit) = split(pid.get());
        self.bits.get(word).is_some_and(|w| w & bit != 0)
    }

    /// Adds `pid`; false when it was already in the set.
    pub(crate) fn insert(&mut self, pid: PacketId) -> bool {
        if self.bits.is_empty() {
            self.bits = vec![0; WORDS];
        }
        let (word, bit) = split(pid.get());
        match self.bits.get_mut(word) {
            Some(w) if *w & bit == 0 => {
                *w |= bit;
                self.len += 1;
                true
            }
            _ => false,
        }
    }

    /// Removes `pid`; false when it was not in the set.
    pub(crate) fn remove(&mut self, pid: PacketId) -> bool {
        let (word, bit) = split(pid.get());
        match self.bits.get_mut(word) {
            Some(w) if *w & bit != 0 => {
                *w &= !bit;
                self.len -= 1;
                true
            }
            _ => false,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn clear(&mut self) {
        self.bits.iter_mut().for_each(|w| *w = 0);
        self.len = 0;
    }

    /// The members in increasing order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = PacketId> + '_ {
        self.bits
            .iter()
            .enumerate()
            .filter(|(_, w)| **w != 0)
            .flat_map(|(i, &w)| {
                (0..64u16).filter_map(move |b| {
                    let value = u16::try_from(i).ok()?.checked_mul(64)? | b;
                    (w & (1 << b) != 0).then(|| PacketId::new(value)).flatten()
                })
            })
    }

    /// The first identifier after `after` (wrapping from 65,535 to 1) that is not in the set,
    /// `None` when all 65,535 are.
    pub(crate) fn first_free_after(&self, after: PacketId) -> Option<PacketId> {
        if self.len >= usize::from(u16::MAX) {
            return None;
        }
        let mut candidate = after.next();
        // At most 65,535 steps; in practice the first is free unless ids are held for long.
        for _ in 0..u16::MAX {
            if !self.contains(candidate) {
                return Some(candidate);
            }
            candidate = candidate.next();
        }
        None
    }
}

const fn split(value: u16) -> (usize, u64) {
    ((value / 64) as usize, 1 << (value % 64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(v: u16) -> PacketId {
        PacketId::new(v).unwrap()
    }

    #[test]
    fn insert_remove_and_count() {
        let mut set = PidSet::default();
        assert!(!set.contains(pid(7)));
        assert!(set.insert(pid(7)));
        assert!(!set.insert(pid(7)));
        assert!(set.insert(pid(65_535)));
        assert_eq!(set.len(), 2);
        assert_eq!(set.iter().collect::<Vec<_>>(), [pid(7), pid(65_535)]);
        assert!(set.remove(pid(7)));
        assert!(!set.remove(pid(7)));
        assert_eq!(set.len(), 1);
        set.clear();
        assert_eq!(set.len(), 0);
        assert!(!set.contains(pid(65_535)));
    }

    #[test]
    fn free_search_skips_used_ids_and_zero() {
        let mut set = PidSet::default();
        assert_eq!(set.first_free_after(pid(65_535)), Some(pid(1)));
        set.insert(pid(1));
        set.insert(pid(2));
        assert_eq!(set.first_free_after(pid(65_535)), Some(pid(3)));
        for v in 1..=u16::MAX {
            set.insert(pid(v));
        }
        assert_eq!(set.first_free_after(pid(10)), None);
        set.remove(pid(9));
        assert_eq!(set.first_free_after(pid(10)), Some(pid(9)));
    }
}
