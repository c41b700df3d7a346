extension ExactDecimal {
    /// |value| × 10^scale when it is below `limit`, else nil: the integer a
    /// Redis summary field adds (layout 4 keeps totals as integer sums per
    /// unit and scale; see `tally_v4.lua`).
    public func significand(below limit: UInt64) -> UInt64? {
        switch magnitude.count {
        case 0: return 0
        case 1: return UInt64(magnitude[0]) < limit ? UInt64(magnitude[0]) : nil
        case 2:
            let value = UInt64(magnitude[1]) * 1_000_000_000 + UInt64(magnitude[0])
            return value < limit ? value : nil
        default: return nil
        }
    }

    /// `significand` / 10^`scale`, exactly: an integer summary field read back.
    public init(significand: UInt64, scale: Int) {
        self.init(magnitude: DecimalLimbs.limbs(of: significand), scale: scale, isNegative: false)
    }
}
