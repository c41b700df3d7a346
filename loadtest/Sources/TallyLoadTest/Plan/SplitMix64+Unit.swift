import TallyCore

extension SplitMix64 {
    /// Uniform in [0, 1): for choosing with probabilities, never for values.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }
}
