//! Property tests: random task trees built from `join`, `scope`, `spawn_with_handle` and
//! `par_iter` over a node's children, run on pools of 1 to 8 threads, must run every node
//! exactly once and compute the sequential result; a panic injected at one node must reach
//! the caller once, after every node outside the panicking subtree ran (but the siblings that
//! a `par_iter` loop the panic went through may skip: a loop stops at a panic), and leave the
//! pool usable.

mod common;

use common::{CasePool, case_pool};

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once, OnceLock};

use brigade::ThreadPool;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

/// The largest pool the properties run on.
const MAX_THREADS: usize = 8;

/// Pools are built once per thread count and shared by all cases.
static POOLS: [OnceLock<ThreadPool>; MAX_THREADS] = [const { OnceLock::new() }; MAX_THREADS];

/// The pool of `n` threads (`1..=MAX_THREADS`): cached, except under miri.
fn pool(n: usize) -> CasePool {
    case_pool(&POOLS, n, || {
        ThreadPool::builder()
            .num_threads(n)
            // A waiting worker runs other jobs on top of its stack, so unlucky schedules nest
            // up to one frame chain per tree node; debug-build frames are large.
            .stack_size(16 << 20)
            .build()
            .expect("a small pool builds")
    })
}

/// How a node runs its children.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Splits the children in halves, recursively, and runs the halves with `join`.
    Join,
    /// Spawns each child in a `scope`.
    Scope,
    /// Starts each child with `spawn_with_handle`, then joins every handle.
    Spawn,
    /// Sums the children with `par_iter().map(..).sum()`: loops of 0 to 5 items, nested.
    ParIter,
}

/// A generated tree, before node ids are assigned.
#[derive(Clone, Debug)]
struct Shape {
    kind: Kind,
    /// Iterations of busy work the node does before its children.
    work: u32,
    children: Vec<Shape>,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Join),
        Just(Kind::Scope),
        Just(Kind::Spawn),
        Just(Kind::ParIter)
    ]
}

fn shape() -> impl Strategy<Value = Shape> {
    // Under miri smaller trees of lighter nodes: each node costs milliseconds there.
    let (work, nodes) = if cfg!(miri) { (30, 40) } else { (300, 150) };
    let leaf = (kind(), 0u32..work).prop_map(|(kind, work)| Shape {
        kind,
        work,
        children: Vec::new(),
    });
    leaf.prop_recursive(5, nodes, 2, move |inner| {
        (kind(), 0u32..work, vec(inner, 0..6)).prop_map(|(kind, work, children)| Shape {
            kind,
            work,
            children,
        })
    })
}

/// A node of a tree flattened in preorder: node `i`'s descendants are `i + 1..end`.
#[derive(Debug)]
struct Node {
    kind: Kind,
    work: u32,
    depth: u64,
    children: Vec<usize>,
    /// One past the last descendant.
    end: usize,
}

#[derive(Debug)]
struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    fn new(shape: &Shape) -> Tree {
        fn add(nodes: &mut Vec<Node>, shape: &Shape, depth: u64) -> usize {
            let id = nodes.len();
            nodes.push(Node {
                kind: shape.kind,
                work: shape.work,
                depth,
                children: Vec::new(),
                end: 0,
            });
            let children = shape
                .children
                .iter()
                .map(|c| add(nodes, c, depth + 1))
                .collect();
            nodes[id].children = children;
            nodes[id].end = nodes.len();
            id
        }
        let mut nodes = Vec::new();
        add(&mut nodes, shape, 0);
        Tree { nodes }
    }

    /// True if `node` is a strict descendant of `ancestor`.
    fn is_strict_descendant(&self, node: usize, ancestor: usize) -> bool {
        node > ancestor && node < self.nodes[ancestor].end
    }

    /// The value of `id`'s subtree, evaluated on this thread alone.
    fn sequential(&self, id: usize) -> u64 {
        let node = &self.nodes[id];
        own_value(id, node)
            + node
                .children
                .iter()
                .map(|&c| self.sequential(c))
                .sum::<u64>()
    }
}

/// What a node contributes by itself: its id weighted by depth, plus its busy work.
fn own_value(id: usize, node: &Node) -> u64 {
    let mut x = id as u64 + 1;
    for _ in 0..node.work {
        x = std::hint::black_box(
            x.wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407),
        );
    }
    (id as u64 + 1) * (node.depth + 1) + (x >> 54)
}

/// The payload of an injected panic.
#[derive(Debug, PartialEq, Eq)]
struct Injected(usize);

/// Everything a node needs, shared with `'static` spawned tasks.
struct Run {
    tree: Tree,
    /// Under miri the run owns its pool: the test drops the last `Arc<Run>` (spawned tasks
    /// drop theirs before their handles report), which shuts the pool down.
    pool: CasePool,
    /// How many times each node ran.
    runs: Vec<AtomicUsize>,
    /// The node that panics (after counting its run, before its children), if any.
    panic_at: Option<usize>,
}

impl Run {
    fn new(tree: Tree, threads: usize, panic_at: Option<usize>) -> Arc<Run> {
        let runs = tree.nodes.iter().map(|_| AtomicUsize::new(0)).collect();
        Arc::new(Run {
            tree,
            pool: pool(threads),
            runs,
            panic_at,
        })
    }

    fn runs(&self) -> Vec<usize> {
        self.runs.iter().map(|r| r.load(Ordering::SeqCst)).collect()
    }
}

/// Evaluates `id`'s subtree with the parallel structure the tree asks for.
fn eval(run: &Arc<Run>, id: usize) -> u64 {
    run.runs[id].fetch_add(1, Ordering::SeqCst);
    if run.panic_at == Some(id) {
        panic::panic_any(Injected(id));
    }
    let node = &run.tree.nodes[id];
    let own = own_value(id, node);
    let children = &node.children;
    own + match node.kind {
        Kind::Join => eval_halves(run, children),
        Kind::Scope => {
            let mut values = vec![0u64; children.len()];
            brigade::scope(|s| {
                for (slot, &child) in values.iter_mut().zip(children) {
                    s.spawn(move |_| *slot = eval(run, child));
                }
            });
            values.iter().sum()
        }
        Kind::Spawn => {
            let handles: Vec<_> = children
                .iter()
                .map(|&child| {
                    let task_run = Arc::clone(run);
                    run.pool.spawn_with_handle(move || eval(&task_run, child))
                })
                .collect();
            // Join every handle before re-raising, so no child is still running (or
            // unjoined) when this node's panic travels up.
            let results: Vec<_> = handles.into_iter().map(brigade::JoinHandle::join).collect();
            let mut sum = 0;
            for r in results {
                match r {
                    Ok(v) => sum += v,
                    Err(e) => panic::resume_unwind(e.into_panic()),
                }
            }
            sum
        }
        Kind::ParIter => {
            use brigade::prelude::*;
            children.par_iter().map(|&child| eval(run, child)).sum()
        }
    }
}

/// Evaluates `children` by joining their two halves, recursively.
fn eval_halves(run: &Arc<Run>, children: &[usize]) -> u64 {
    match children {
        [] => 0,
        [only] => eval(run, *only),
        _ => {
            let (l, r) = children.split_at(children.len() / 2);
            let (a, b) = brigade::join(|| eval_halves(run, l), || eval_halves(run, r));
            a + b
        }
    }
}

/// Keeps the output readable: injected panics are expected and not printed.
fn quiet_injected_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<Injected>().is_none() {
                default(info);
            }
        }));
    });
}

/// 64 cases (2 under miri) keep the file at well under a second in a debug build;
/// `PROPTEST_CASES=N` asks for more.
fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        default.cases
    } else if cfg!(miri) {
        2
    } else {
        64
    };
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..default
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_node_runs_once_and_matches_sequential(shape in shape(), threads in 1..=MAX_THREADS) {
        let tree = Tree::new(&shape);
        let expected = tree.sequential(0);
        let n = tree.nodes.len();
        let run = Run::new(tree, threads, None);
        let got = run.pool.install(|| eval(&run, 0));
        prop_assert_eq!(got, expected);
        prop_assert_eq!(run.runs(), vec![1; n]);
    }

    #[test]
    fn injected_panic_reaches_caller_once(
        shape in shape(),
        threads in 1..=MAX_THREADS,
        at in any::<Index>(),
    ) {
        quiet_injected_panics();
        let tree = Tree::new(&shape);
        let panic_at = at.index(tree.nodes.len());
        let run = Run::new(tree, threads, Some(panic_at));
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| run.pool.install(|| eval(&run, 0))));
        let payload = match outcome {
            Ok(v) => return Err(TestCaseError::fail(format!("no panic reached the caller (value {v})"))),
            Err(payload) => payload,
        };
        prop_assert_eq!(payload.downcast_ref::<Injected>(), Some(&Injected(panic_at)));
        // The panicking node ran once and started none of its children; every other node ran
        // exactly once, and all of them before the panic reached the caller, but those below
        // a `par_iter` node the panic went through, off its path: that loop stops at the
        // panic, and may skip them (at most once, still).
        let tree = &run.tree;
        for (id, &count) in run.runs().iter().enumerate() {
            let expected = usize::from(!tree.is_strict_descendant(id, panic_at));
            let on_path = id == panic_at || tree.is_strict_descendant(panic_at, id);
            let skippable = !on_path
                && (0..tree.nodes.len()).any(|a| {
                    matches!(tree.nodes[a].kind, Kind::ParIter)
                        && tree.is_strict_descendant(id, a)
                        && tree.is_strict_descendant(panic_at, a)
                });
            if skippable {
                prop_assert!(count <= expected, "node {} ran {} times", id, count);
            } else {
                prop_assert_eq!(count, expected, "node {} (panic at node {})", id, panic_at);
            }
        }
        prop_assert_eq!(run.pool.join(|| 1, || 2), (1, 2));
        prop_assert_eq!(run.pool.install(|| brigade::join(|| 3, || 4)), (3, 4));
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "generates 200 trees and runs no pool: 14 minutes under miri with nothing to check"
)]
fn generated_trees_have_the_intended_size() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let sizes: Vec<usize> = (0..200)
        .map(|_| {
            Tree::new(&shape().new_tree(&mut runner).expect("a tree").current())
                .nodes
                .len()
        })
        .collect();
    let mut sorted = sizes.clone();
    sorted.sort_unstable();
    let (median, max) = (sorted[sorted.len() / 2], sorted[sorted.len() - 1]);
    assert!(
        (15..=80).contains(&median),
        "median tree has {median} nodes: {sizes:?}"
    );
    assert!(
        (100..=400).contains(&max),
        "largest tree has {max} nodes: {sizes:?}"
    );
}
