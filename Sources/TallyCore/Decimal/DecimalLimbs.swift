/// Arithmetic on unsigned magnitudes stored as little-endian base-10⁹ limbs.
///
/// Base 10⁹ rather than 2³² because scaling by a power of ten is then only a digit
/// shift: aligning two scales never needs a general multiplication and printing never
/// needs a long division. Every operation takes a `shift` meaning "this magnitude
/// times 10^shift" and reads the shifted limbs lazily (see `limb(_:shift:at:)`), so
/// `+`, `-`, `==` and `<` on operands of different scales allocate only their result.
///
/// Invariant of every magnitude: no most-significant zero limbs; zero is `[]`
/// (the empty array never allocates).
enum DecimalLimbs {
    static let base: UInt32 = 1_000_000_000
    static let digitsPerLimb = 9

    /// 10^n for n in 0...9.
    @inline(__always)
    static func powerOfTen(_ n: Int) -> UInt32 {
        switch n {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        case 8: 100_000_000
        default: 1_000_000_000
        }
    }

    /// Limb `i` of `x × 10^shift`, computed without materializing the product.
    ///
    /// With shift = 9q + r, limb i of the product is the low (9 − r) digits of
    /// `x[i − q]` moved up by r digits plus the high r digits of `x[i − q − 1]`;
    /// because the base is a power of ten no carry ever crosses the two parts.
    @inline(__always)
    static func limb(_ x: [UInt32], shift: Int, at i: Int) -> UInt32 {
        let j = i - shift / digitsPerLimb
        let r = shift % digitsPerLimb
        if r == 0 { return j >= 0 && j < x.count ? x[j] : 0 }
        let split = powerOfTen(digitsPerLimb - r)
        let high = j >= 0 && j < x.count ? (x[j] % split) * powerOfTen(r) : 0
        let low = j >= 1 && j - 1 < x.count ? x[j - 1] / split : 0
        return high + low
    }

    /// An upper bound on the limb count of `x × 10^shift` (exact up to one top zero limb).
    @inline(__always)
    static func shiftedCount(_ x: [UInt32], shift: Int) -> Int {
        x.isEmpty ? 0 : x.count + (shift + digitsPerLimb - 1) / digitsPerLimb
    }

    /// Three-way comparison of `a × 10^aShift` and `b × 10^bShift`.
    static func compare(_ a: [UInt32], shift aShift: Int, _ b: [UInt32], shift bShift: Int) -> Int {
        if aShift == 0, bShift == 0, a.count != b.count { return a.count < b.count ? -1 : 1 }
        var i = max(shiftedCount(a, shift: aShift), shiftedCount(b, shift: bShift)) - 1
        while i >= 0 {
            let x = limb(a, shift: aShift, at: i)
            let y = limb(b, shift: bShift, at: i)
            if x != y { return x < y ? -1 : 1 }
            i -= 1
        }
        return 0
    }

    /// `a × 10^aShift + b × 10^bShift`, in one allocation.
    static func add(_ a: [UInt32], shift aShift: Int, _ b: [UInt32], shift bShift: Int) -> [UInt32] {
        let count = max(shiftedCount(a, shift: aShift), shiftedCount(b, shift: bShift)) + 1
        var result = [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            var carry: UInt32 = 0
            for i in 0..<count {
                // At most 2 × (10⁹ − 1) + 1, well inside UInt32.
                var sum = limb(a, shift: aShift, at: i) + limb(b, shift: bShift, at: i) + carry
                if sum >= base {
                    sum -= base
                    carry = 1
                } else {
                    carry = 0
                }
                buffer[i] = sum
            }
            initialized = count
        }
        trim(&result)
        return result
    }

    /// `a × 10^aShift − b × 10^bShift`; requires the first to be at least the second.
    static func subtract(_ a: [UInt32], shift aShift: Int, _ b: [UInt32], shift bShift: Int) -> [UInt32] {
        let count = shiftedCount(a, shift: aShift)
        var result = [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            var borrow: UInt32 = 0
            for i in 0..<count {
                let x = limb(a, shift: aShift, at: i)
                let y = limb(b, shift: bShift, at: i) + borrow
                if x >= y {
                    buffer[i] = x - y
                    borrow = 0
                } else {
                    buffer[i] = x + base - y
                    borrow = 1
                }
            }
            precondition(borrow == 0, "DecimalLimbs.subtract: minuend smaller than subtrahend")
            initialized = count
        }
        trim(&result)
        return result
    }

    /// Removes most-significant zero limbs (never reallocates).
    @inline(__always)
    static func trim(_ x: inout [UInt32]) {
        while let last = x.last, last == 0 { x.removeLast() }
    }

    /// Number of decimal digits of `x` (0 for zero).
    static func digitCount(_ x: [UInt32]) -> Int {
        guard let top = x.last else { return 0 }
        var digits = 1
        while digits < digitsPerLimb, top >= powerOfTen(digits) { digits += 1 }
        return (x.count - 1) * digitsPerLimb + digits
    }

    /// Decimal digit `i` of `x`, counting from the least significant (0 beyond the top).
    @inline(__always)
    static func digit(_ x: [UInt32], at i: Int) -> UInt8 {
        let j = i / digitsPerLimb
        guard j < x.count else { return 0 }
        return UInt8((x[j] / powerOfTen(i % digitsPerLimb)) % 10)
    }

    /// The limbs of `value`.
    static func limbs(of value: UInt64) -> [UInt32] {
        var result: [UInt32] = []
        var rest = value
        while rest != 0 {
            result.append(UInt32(rest % UInt64(base)))
            rest /= UInt64(base)
        }
        return result
    }
}
