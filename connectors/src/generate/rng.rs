//! Random streams. Every part of the business draws from its own stream, keyed by what it
//! generates (a day, a campaign), so a day can be generated alone, in any order, on any core,
//! and still come out the same.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Keys that name independent streams.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// The product catalogue.
    Catalogue,
    /// Campaigns, promotions and influencers.
    Marketing,
    /// One campaign's daily delivery.
    AdDay,
    /// One day's influencer posts.
    Posts,
    /// One day's visitors, sessions and orders.
    Traffic,
    /// The initial customer base.
    Customers,
}

/// A generator for `stream` and `keys` under `seed`; the same inputs give the same sequence.
pub fn stream(seed: u64, stream: Stream, keys: &[u64]) -> ChaCha8Rng {
    let mut state = mix(seed ^ 0x005E_ED0F_A10E);
    state = mix(state ^ (stream as u64 + 1));
    for k in keys {
        state = mix(state ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    }
    ChaCha8Rng::seed_from_u64(state)
}

/// SplitMix64's finaliser: spreads every input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn draw(mut r: ChaCha8Rng) -> Vec<u32> {
        (0..4).map(|_| r.random()).collect()
    }

    #[test]
    fn same_keys_same_numbers_other_keys_other_numbers() {
        let a = draw(stream(1, Stream::AdDay, &[3, 7]));
        assert_eq!(a, draw(stream(1, Stream::AdDay, &[3, 7])));
        assert_ne!(a, draw(stream(1, Stream::AdDay, &[3, 8])));
        assert_ne!(a, draw(stream(2, Stream::AdDay, &[3, 7])));
        assert_ne!(a, draw(stream(1, Stream::Posts, &[3, 7])));
    }
}
