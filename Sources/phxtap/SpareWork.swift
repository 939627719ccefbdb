import Dispatch

/// Work that a thread about to wait for another can take on instead: with three busy threads
/// on two cores, a thread that sleeps leaves a core idle while the other two share one.
protocol SpareWork: AnyObject, Sendable {
    /// Does one piece of the work if any is waiting; false when none is.
    func doOne() -> Bool

    /// A thread that takes on the work from now on, woken through `wake` each time a piece
    /// arrives; nil when it stops, and the work goes back to where it was done before.
    func setHelper(_ wake: DispatchSemaphore?)
}
