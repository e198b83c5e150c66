//! What the unit tests share: a random generator whose seed is printed
//! (and forced with `DRAFTROOM_TEST_SEED`), so a failure can be replayed.

use rand::SeedableRng;
use rand::rngs::StdRng;

/// A generator seeded from `DRAFTROOM_TEST_SEED`, else at random; the
/// seed is printed, so a failing test shows how to draw the same again.
pub(crate) fn seeded_rng() -> StdRng {
    let seed = std::env::var("DRAFTROOM_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("random values come from seed {seed} (DRAFTROOM_TEST_SEED={seed} draws them again)");
    StdRng::seed_from_u64(seed)
}
