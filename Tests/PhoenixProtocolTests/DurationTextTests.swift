import PhoenixProtocol
import Testing

/// The one way durations are written for people, at each of its unit boundaries.
@Suite struct DurationTextTests {
    @Test(arguments: [
        (0.0, "0.00 ms"),
        (0.000_27, "0.27 ms"),
        (0.000_3, "0.30 ms"),  // two decimals always: 0.30 beside 0.27, not 0.3
        (0.000_254_9, "0.25 ms"),
        (0.000_255, "0.26 ms"),  // half up
        (0.004_07, "4.07 ms"),
        (0.009_994, "9.99 ms"),
        (0.009_996, "10 ms"),  // the unit is chosen after rounding
        (0.012_345, "12 ms"),
        (0.201_4, "201 ms"),
        (0.999_4, "999 ms"),
        (0.999_6, "1 s"),
        (1.24, "1.2 s"),
        (1.25, "1.3 s"),
        (10.0, "10 s"),
        (30.04, "30 s"),
        (61.5, "61.5 s"),
        (-0.5, "-500 ms"),
    ])
    func writes(_ seconds: Double, _ expected: String) {
        #expect(DurationText.of(seconds) == expected)
    }

    @Test func saysWhatItCannotScale() {
        #expect(DurationText.of(.infinity) == "inf s")
        #expect(DurationText.of(.nan) == "nan s")
    }
}
