//! brigade-mpi as real MPI jobs: `mpirun -np 4` on this machine, over shared memory only
//! (`--mca btl self,vader`, `--oversubscribe` for machines with fewer cores than ranks),
//! running the programs in `tests/programs/` and the `zoom` example, each under a timeout
//! (a rank that never reaches a collective would hang the job: a hang fails the test).
//!
//! The programs are built by `cargo build --examples` from here, in the profile of this
//! test binary, so a stale build is never tested. One job runs at a time: they share the
//! machine's cores, and the slow-rank test measures time.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// How long one job may run before it counts as a hang. The jobs take a few seconds.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The exit code of a job that a panic ended (`brigade_mpi::ABORT_CODE`).
const ABORT_CODE: i32 = 101;

/// One job at a time.
static JOBS: Mutex<()> = Mutex::new(());

/// What a job did.
#[derive(Debug)]
struct Job {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Job {
    /// Both streams, for assertion messages and searches.
    fn output(&self) -> String {
        format!("--- stdout\n{}--- stderr\n{}", self.stdout, self.stderr)
    }

    fn assert_success(&self) {
        assert_eq!(self.code, Some(0), "the job failed:\n{}", self.output());
    }
}

/// The directory of the example binaries, built (once per test run) in this test binary's
/// profile.
fn examples_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // This binary is `<target>/<profile>/deps/mpirun-<hash>`.
        let exe = std::env::current_exe().expect("the test binary's path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("<target>/<profile>/deps/");
        let profile = profile_dir
            .file_name()
            .and_then(|p| p.to_str())
            .unwrap_or("debug");
        let target = profile_dir.parent().expect("<target>/<profile>");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string());
        let profile_arg = if profile == "debug" { "dev" } else { profile };
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "brigade-mpi",
                "--examples",
                "--profile",
            ])
            .arg(profile_arg)
            .env("CARGO_TARGET_DIR", target)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build --examples failed");
        profile_dir.join("examples")
    })
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Runs `program` (an example) with `args` as `np` ranks, `threads` threads each (unset:
/// the pool follows the affinity mask), with `mpirun_args` added (default
/// `--bind-to none`).
fn mpirun(
    np: usize,
    threads: Option<usize>,
    mpirun_args: &[&str],
    program: &str,
    args: &[&str],
) -> Job {
    let exe = examples_dir().join(program);
    let mut cmd = Command::new("mpirun");
    cmd.args(["-np", &np.to_string(), "--oversubscribe"]).args([
        "--mca",
        "btl",
        "self,vader",
        "--mca",
        "pml",
        "ob1",
    ]);
    if is_root() {
        // CI runs as root; OpenMPI refuses to unless told.
        cmd.arg("--allow-run-as-root");
    }
    if !mpirun_args.contains(&"--bind-to") {
        cmd.args(["--bind-to", "none"]);
    }
    cmd.args(mpirun_args);
    match threads {
        Some(n) => {
            cmd.env("BRIGADE_NUM_THREADS", n.to_string());
            cmd.args(["-x", "BRIGADE_NUM_THREADS"]);
        }
        None => {
            cmd.env_remove("BRIGADE_NUM_THREADS");
        }
    }
    cmd.env("RUST_BACKTRACE", "0")
        .args(["-x", "RUST_BACKTRACE"]);
    cmd.arg(&exe).args(args);
    run(cmd)
}

/// Runs a command in its own process group, killing the group after [`TIMEOUT`].
fn run(mut cmd: Command) -> Job {
    let _one_at_a_time = JOBS.lock().unwrap_or_else(|e| e.into_inner());
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("could not start {cmd:?}: {e}; install OpenMPI (Debian: openmpi-bin)")
        });
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait for mpirun") {
            break status.code();
        }
        if started.elapsed() > TIMEOUT {
            let pgid = child.id() as i32;
            // SAFETY: kill has no memory preconditions; -pgid names the process group this
            // test created for the job (mpirun and its ranks), and nothing else.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
            let _ = child.wait();
            let job = Job {
                code: None,
                stdout: stdout.join().unwrap_or_default(),
                stderr: stderr.join().unwrap_or_default(),
                took: started.elapsed(),
            };
            panic!("the job hung: killed after {TIMEOUT:?}\n{}", job.output());
        }
        thread::sleep(Duration::from_millis(20));
    };
    Job {
        code,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        took: started.elapsed(),
    }
}

#[test]
fn every_verb_matches_the_serial_result_with_both_distributions() {
    let job = mpirun(4, Some(2), &[], "verbs", &[]);
    job.assert_success();
    for dist in ["Static", "Dynamic { chunk: 1 }", "Dynamic { chunk: 37 }"] {
        assert!(
            job.stdout
                .contains(&format!("verbs: {dist} matches the serial results")),
            "{}",
            job.output()
        );
    }
    assert!(job.stdout.contains("verbs: all match"), "{}", job.output());
}

/// The library's messages travel on a private duplicate of the world: a user's message with
/// tag 1 pending during a Dynamic call was once answered to as a chunk (wrong sum on every
/// rank), and the user's receive then hung.
#[test]
fn a_users_pending_message_is_left_alone() {
    let job = mpirun(2, Some(1), &[], "verbs", &["--user-messages"]);
    job.assert_success();
    assert!(
        job.stdout.contains("verbs: user messages untouched"),
        "{}",
        job.output()
    );
}

#[test]
fn with_a_slow_rank_every_verb_still_matches_and_dynamic_balances() {
    let job = mpirun(
        4,
        Some(2),
        &[],
        "verbs",
        &["--slow-rank", "2", "--slow-factor", "5"],
    );
    job.assert_success();
    let out = job.output();
    assert!(job.stdout.contains("verbs: all match"), "{out}");
    // The program asserts that the slow rank took less than half the items of any healthy
    // one, and that Dynamic beat Static; it prints the figures.
    assert!(
        job.stdout.contains("slow rank: Dynamic balanced the load"),
        "{out}"
    );
    eprintln!(
        "{}",
        job.stdout
            .lines()
            .filter(|l| l.starts_with("slow rank"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn every_rank_returns_each_error() {
    let job = mpirun(4, Some(1), &[], "errors", &[]);
    job.assert_success();
    let cases = [
        ("already initialized", "Cluster::init was called twice"),
        ("empty range", "the range 5..5 is empty"),
        (
            "more ranks than items",
            "run fewer ranks (mpirun -np 3 or fewer)",
        ),
        ("fewer items than ranks under Dynamic", "sum 3, gathered "),
        ("chunk 0", "use a chunk of at least one item"),
        (
            "too many items to gather",
            "gather 0..18446744073709551615 brings 18446744073709551615 results to rank 0",
        ),
        (
            "ranks disagree on the range",
            "differs between ranks: rank ",
        ),
        ("ranks disagree on the type", "returning u32"),
        (
            "ranks disagree on the call site",
            "map_reduce(0..100, Static) returning u64 at brigade-mpi/tests/programs/errors.rs:",
        ),
        (
            "map_reduce result cannot travel",
            "could not decode a result of type",
        ),
        (
            "gather result cannot travel",
            "could not decode a result of type",
        ),
    ];
    assert!(
        job.stdout.contains(
            "rank 0: fewer items than ranks under Dynamic: sum 3, gathered Some([0, 1, 2])"
        ),
        "{}",
        job.output()
    );
    for rank in 0..4 {
        for (case, message) in cases {
            let line = job
                .stdout
                .lines()
                .find(|l| l.starts_with(&format!("rank {rank}: {case}: ")))
                .unwrap_or_else(|| {
                    panic!("rank {rank} did not report {case:?}:\n{}", job.output())
                });
            assert!(line.contains(message), "{line}");
        }
    }
    assert!(
        job.stdout.contains("errors: all checked"),
        "{}",
        job.output()
    );
}

#[test]
fn a_panicking_rank_ends_the_job_with_its_message() {
    let cases: [(&[&str], &str, &str); 7] = [
        (
            &["static-body", "2"],
            "deliberate panic on rank 2",
            "distributed for_each panicked",
        ),
        (
            &["dynamic-body", "2"],
            "deliberate panic on rank 2",
            "distributed map_reduce panicked",
        ),
        (
            &["dynamic-body", "0"],
            "deliberate panic on rank 0",
            "distributed map_reduce panicked",
        ),
        (
            &["reduce"],
            "deliberate panic on rank 0 while combining",
            "on its main thread",
        ),
        (
            &["main", "1"],
            "deliberate panic on rank 1",
            "on its main thread",
        ),
        (
            &["install", "3"],
            "deliberate panic on rank 3",
            "unwinding from a panic",
        ),
        // A distributed call inside another (from rank 0's combining `reduce`): the job
        // once hung in silence, rank 0 in the inner call, the others in the outer one.
        (
            &["nested"],
            "was made while another distributed call was running on rank 0",
            "on its main thread",
        ),
    ];
    for (args, message, how) in cases {
        let job = mpirun(4, Some(2), &[], "panics", args);
        let out = job.output();
        assert_eq!(job.code, Some(ABORT_CODE), "{args:?}:\n{out}");
        assert!(out.contains(message), "{args:?}: no {message:?}:\n{out}");
        assert!(out.contains(how), "{args:?}: no {how:?}:\n{out}");
        assert!(out.contains("calling MPI_Abort"), "{args:?}:\n{out}");
        assert!(!out.contains("not reached"), "{args:?}:\n{out}");
        eprintln!("{args:?}: ended in {:.2} s", job.took.as_secs_f64());
    }
}

/// A rank whose `Cluster` is dropped (main returned, with an error or not) while the others
/// make another distributed call: the job once hung, the leaver in `MPI_Finalize` and the
/// others in the call it skipped. Now the drop takes part in the call's agreement step, and
/// the job ends with a message that names the rank and its number of calls.
#[test]
fn a_rank_that_leaves_early_ends_the_job_with_a_message() {
    let cases: [(&[&str], &str); 3] = [
        (&["error", "1"], "rank 1 of 4 left after 1 distributed call"),
        (&["skip", "2"], "rank 2 of 4 left after 1 distributed call"),
        (&["skip", "0"], "rank 0 of 4 left after 1 distributed call"),
    ];
    for (args, message) in cases {
        let job = mpirun(4, Some(1), &[], "leaves", args);
        let out = job.output();
        assert_eq!(job.code, Some(ABORT_CODE), "{args:?}:\n{out}");
        assert!(out.contains(message), "{args:?}: no {message:?}:\n{out}");
        assert!(out.contains("calling MPI_Abort"), "{args:?}:\n{out}");
        assert!(!out.contains("not reached"), "{args:?}:\n{out}");
        eprintln!("{args:?}: ended in {:.2} s", job.took.as_secs_f64());
    }
}

/// Ranks that all leave after the same calls end normally.
#[test]
fn ranks_that_leave_together_end_normally() {
    let job = mpirun(4, Some(1), &[], "leaves", &["together"]);
    job.assert_success();
    for rank in 0..4 {
        assert!(
            job.stdout.contains(&format!("rank {rank}: left together")),
            "{}",
            job.output()
        );
    }
}

/// `Cluster::init` on a rank where the program had initialized MPI itself: that rank once
/// returned `AlreadyInitialized` while the others waited for it in their first collective.
/// Now an initialization at the Funneled level or above is used as it is, and one below
/// makes every rank return an error.
#[test]
fn init_after_the_program_initialized_mpi_on_one_rank_never_hangs() {
    let job = mpirun(4, Some(1), &[], "preinit", &["funneled", "2"]);
    job.assert_success();
    for rank in 0..4 {
        assert!(
            job.stdout.contains(&format!("rank {rank}: sum 4950")),
            "{}",
            job.output()
        );
    }

    let job = mpirun(4, Some(1), &[], "preinit", &["single", "1"]);
    job.assert_success();
    for rank in 0..4 {
        let line = job
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("rank {rank}: init failed: ")))
            .unwrap_or_else(|| panic!("rank {rank} reported no error:\n{}", job.output()));
        let expected = if rank == 1 {
            "initialize it with mpi::initialize_with_threading(Threading::Funneled)"
        } else {
            "rank 1 could not start"
        };
        assert!(line.contains(expected), "{line}");
    }
}

/// The threads of `n` unbound ranks on a host of `cpus` CPUs: an even split, the remainder
/// to the lowest ranks, at least one each.
fn even_split(cpus: usize, n: usize) -> Vec<usize> {
    (0..n)
        .map(|r| (cpus / n + usize::from(r < cpus % n)).max(1))
        .collect()
}

#[test]
fn each_rank_sizes_its_pool_to_its_share_of_the_host() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Unbound: the ranks split the CPUs this test may use.
    for np in [1, 2, 4] {
        let job = mpirun(np, None, &["--bind-to", "none"], "verbs", &["--threads"]);
        job.assert_success();
        let expected = format!("threads per rank: {:?}", even_split(cpus, np));
        assert!(
            job.stdout.contains(&expected),
            "{expected}\n{}",
            job.output()
        );
    }
    if cpus >= 2 {
        // Bound to one core each: one thread each.
        let job = mpirun(2, None, &["--bind-to", "core"], "verbs", &["--threads"]);
        job.assert_success();
        assert!(
            job.stdout.contains("threads per rank: [1, 1]"),
            "{}",
            job.output()
        );
        // BRIGADE_NUM_THREADS=0 stands for the default, which here is the share.
        let job = mpirun(2, Some(0), &["--bind-to", "core"], "verbs", &["--threads"]);
        job.assert_success();
        assert!(
            job.stdout.contains("threads per rank: [1, 1]"),
            "{}",
            job.output()
        );
        // Bound to two cores: two threads.
        let pe2 = ["--map-by", "slot:PE=2", "--bind-to", "core"];
        let job = mpirun(1, None, &pe2, "verbs", &["--threads"]);
        job.assert_success();
        assert!(
            job.stdout.contains("threads per rank: [2]"),
            "{}",
            job.output()
        );
    }
    // BRIGADE_NUM_THREADS wins over the share.
    let job = mpirun(2, Some(3), &["--bind-to", "core"], "verbs", &["--threads"]);
    job.assert_success();
    assert!(
        job.stdout.contains("threads per rank: [3, 3]"),
        "{}",
        job.output()
    );
}

#[test]
fn the_zoom_manifest_is_byte_identical_to_one_process() {
    let dir = std::env::temp_dir().join(format!("brigade-mpi-zoom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let size = ["--frames", "12", "--width", "48", "--height", "27"];
    let out = |name: &str| dir.join(name).to_string_lossy().into_owned();

    let serial = out("serial.txt");
    let mut cmd = Command::new(examples_dir().join("zoom"));
    cmd.args(size).args(["--serial", "--out", &serial]);
    cmd.env("BRIGADE_NUM_THREADS", "2");
    run(cmd).assert_success();
    let expected = std::fs::read(&serial).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&expected).lines().count(),
        2 + 12,
        "a header and a line per frame"
    );

    for (dist, extra) in [
        ("static", &[][..]),
        ("dynamic", &["--chunk", "1"][..]),
        (
            "dynamic",
            &["--chunk", "2", "--slow-rank", "1", "--slow-factor", "3"][..],
        ),
    ] {
        let path = out(&format!("mpi-{dist}.txt"));
        let mut args = size.to_vec();
        args.extend(["--dist", dist, "--out", &path]);
        args.extend(extra);
        let job = mpirun(4, Some(2), &[], "zoom", &args);
        job.assert_success();
        let got = std::fs::read(&path).unwrap();
        assert!(
            got == expected,
            "{dist} {extra:?}: the manifest differs from one process's:\n{}\nvs\n{}",
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&expected)
        );
        std::fs::remove_file(&path).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
