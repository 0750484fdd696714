/// Byte comparison for secrets (bearer tokens): the time taken depends only on the lengths, so an answer's timing
/// does not reveal how much of a guess was right.
public enum ConstantTime {
    public static func equal(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in expected.indices {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }
}
