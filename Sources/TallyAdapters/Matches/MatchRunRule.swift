/// Which algorithm run an import's rows belong to.
///
/// A run is one execution of the matching algorithm, kept as a version of its
/// output and never added to another. The algorithm stamps each row's
/// `publish_datetime` as it writes it, so a run of hundreds of thousands of
/// ICPs spans minutes: naming a run by each row's stamp (to the second, as
/// tally once did) split a run into a fragment per second, and "the latest
/// run" answered the last fragment. One import is therefore one run unless
/// the producer says otherwise:
///
/// - ``firstRow`` (the default): the whole file is one run, named by the
///   first data row's `publish_datetime` (the first whose stamp parses) to
///   the second, with its offset. Rows are stamped as they are written, so
///   that is when the run started. The same file imported again is the same
///   run with the same recordIds (nothing doubles), and so is a file that was
///   imported while still being written and again once complete; a content
///   hash would name those two differently and could not order runs by time.
///   A file of a run that fits in one second keeps the name it always had.
/// - ``named(_:)``: `--run`, a date-time the producer chose (to the second).
/// - ``column``: the file has a `run` column; each row names its own run
///   (a date-time, to the second), so one file may carry several runs.
///
/// Runs are named by an instant so that "the latest run" is a matter of time,
/// not of text order or import order.
public enum MatchRunRule: Sendable, Equatable {
    case firstRow
    case named(String)
    case column

    /// The optional column that names each row's run.
    public static let columnName = "run"
}
