/// How a length of time reads in everything PhoenixTap writes for people: annotations, the text
/// view and the Markdown explanations. One rule for all of them, so that a round trip shown in
/// the text view reads the same in the annotation about it.
public enum DurationText {
    /// `0.25 ms`, `4.07 ms`, `201 ms`, `1.2 s`, `30 s`: two decimals below 10 ms (loopback round
    /// trips are tenths of a millisecond), whole milliseconds below a second, then seconds with
    /// one decimal, left out when it is zero (the timeouts people know as `10 s`). Rounded half
    /// up, and the unit chosen after rounding (9.996 ms is `10 ms`, 999.6 ms is `1 s`). Written
    /// with integer arithmetic only: the checker's module links no maths library.
    public static func of(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e12 else { return "\(seconds) s" }
        let sign = seconds < 0 ? "-" : ""
        let value = abs(seconds)
        let hundredthsOfMs = Int(value * 100_000 + 0.5)
        if hundredthsOfMs < 1_000 {
            return sign + decimal(hundredthsOfMs, places: 2) + " ms"
        }
        let ms = Int(value * 1_000 + 0.5)
        if ms < 1_000 { return "\(sign)\(ms) ms" }
        let tenths = Int(value * 10 + 0.5)
        return sign + (tenths % 10 == 0 ? "\(tenths / 10)" : decimal(tenths, places: 1)) + " s"
    }

    /// `n` divided by 10^`places`, with exactly `places` decimals: 27 and 2 is `0.27`.
    private static func decimal(_ n: Int, places: Int) -> String {
        var scale = 1
        for _ in 0..<places { scale *= 10 }
        let fraction = String(n % scale)
        return "\(n / scale)." + String(repeating: "0", count: places - fraction.count) + fraction
    }
}
