//! Small integer hashes shared by the stages.

/// splitmix64's finaliser: a bijection on u64 that spreads nearby inputs (seeds and
/// replicate numbers, person numbers) into unrelated outputs, so distinct inputs give
/// distinct, well-mixed values.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_splitmix64_outputs() {
        // splitmix64 seeded with 0: the generator adds the constant, then finalises; these
        // are its first outputs.
        assert_eq!(mix(0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(mix(0x9E37_79B9_7F4A_7C15), 0x6E78_9E6A_A1B9_65F4);
    }
}
