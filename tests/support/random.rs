//! The random values a test draws (client IDs, clause IDs, markers), from
//! one seed per test that the test prints, so that a failure shows it, and
//! that `DRAFTROOM_TEST_SEED` forces, so that a run can be repeated.
//!
//! Each test runs on a thread of its own (libtest gives every test one, and
//! a `#[tokio::test]` runs its body on it), so the generator is per thread:
//! with the seed forced, every test draws the same values in the same order
//! as when it failed, whatever else runs beside it.

use std::cell::RefCell;

/// The environment variable that forces the seed.
pub const SEED_VAR: &str = "DRAFTROOM_TEST_SEED";

thread_local! {
    /// This thread's generator, seeded at its first draw.
    static RNG: RefCell<Option<SplitMix64>> = const { RefCell::new(None) };
}

/// splitmix64: small, fast and good enough for test values; the same
/// seed gives the same values on every machine and every version.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The seed: `DRAFTROOM_TEST_SEED` if set, else a fresh one.
fn seed() -> u64 {
    match std::env::var(SEED_VAR) {
        Ok(value) => value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{SEED_VAR}={value:?} is not a number")),
        Err(_) => uuid::Uuid::new_v4().as_u64_pair().0,
    }
}

/// The next random number of this test. The first draw picks the seed and
/// prints it.
pub fn next_u64() -> u64 {
    RNG.with(|rng| {
        rng.borrow_mut()
            .get_or_insert_with(|| {
                let seed = seed();
                let test = std::thread::current()
                    .name()
                    .unwrap_or("this test")
                    .to_owned();
                eprintln!(
                    "random values of {test} come from seed {seed} \
                     ({SEED_VAR}={seed} draws them again)"
                );
                SplitMix64(seed)
            })
            .next()
    })
}

/// A random Yjs client id in the 53 bits JavaScript numbers hold exactly
/// (as the Yjs library makes them), never 0.
pub fn random_client_id() -> u64 {
    (next_u64() & ((1 << 53) - 1)).max(1)
}

/// A random (version 4) UUID.
pub fn random_uuid() -> uuid::Uuid {
    let bytes = (u128::from(next_u64()) << 64 | u128::from(next_u64())).to_be_bytes();
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_seed_draws_the_same_values() {
        let mut a = SplitMix64(42);
        let mut b = SplitMix64(42);
        let drawn: Vec<u64> = (0..4).map(|_| a.next()).collect();
        assert_eq!(drawn, (0..4).map(|_| b.next()).collect::<Vec<_>>());
        // The reference values of splitmix64 for seed 0.
        let mut zero = SplitMix64(0);
        assert_eq!(zero.next(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(zero.next(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn client_ids_fit_in_53_bits_and_uuids_are_version_4() {
        for _ in 0..100 {
            let id = random_client_id();
            assert!((1..1 << 53).contains(&id), "{id}");
            assert_eq!(random_uuid().get_version_num(), 4);
        }
    }
}
