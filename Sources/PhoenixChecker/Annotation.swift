/// A finding attached to one message: which rule, how bad, and one sentence for a client author.
public struct Annotation: Sendable, Hashable {
    /// A stable rule id from the catalog (`phxtap rules`), e.g. `stale-join-ref`.
    public var rule: String
    public var severity: Severity
    public var text: String

    public init(rule: String, severity: Severity, text: String) {
        self.rule = rule
        self.severity = severity
        self.text = text
    }
}

/// A finding not tied to a single message as it passes, e.g. a push that never got a reply,
/// settled later from message times or at the end of the input.
public struct Finding: Sendable, Hashable {
    public var annotation: Annotation
    /// The time the finding became certain (a message time, never the wall clock).
    public var time: Double
    /// The `seq` numbers of the messages it is about.
    public var refersTo: [Int]

    public init(annotation: Annotation, time: Double, refersTo: [Int]) {
        self.annotation = annotation
        self.time = time
        self.refersTo = refersTo
    }
}
