//! [`JobFifo`]: jobs that one worker runs oldest first (`spawn_fifo`, `ScopeFifo`), on top of a
//! deque that runs its own jobs newest first.
//!
//! A worker's FIFO spawn puts the real job at the back of the worker's `JobFifo` and pushes a
//! *proxy* on its deque: a `JobRef` to the `JobFifo` itself. Whoever runs a proxy (the worker
//! popping its newest, or a thief taking its oldest) runs the oldest job of the FIFO instead.
//! So each proxy stands for one job, and the worker's own FIFO jobs run in the order they were
//! spawned, as rayon's `spawn_fifo` promises.
//!
//! A proxy carries the isolation region it was pushed in (its deque tag), and its job was
//! queued with the same region. Running a proxy takes the oldest job of exactly the region the
//! proxy is run in (a worker runs a job inside that job's region), so per region the proxies
//! and the jobs match one to one: a proxy always finds a job, and never one of another region.

use std::collections::VecDeque;
use std::ptr::NonNull;

use super::{JobHeader, JobRef};
use crate::isolate::Region;
use crate::loom::Mutex;
use crate::pool::WorkerThread;

/// A FIFO of jobs behind one job header; see the module docs.
#[repr(C)]
pub(crate) struct JobFifo {
    header: JobHeader,
    jobs: Mutex<VecDeque<JobRef>>,
}

impl JobFifo {
    pub(crate) fn new() -> JobFifo {
        JobFifo {
            header: JobHeader {
                execute: Self::execute_oldest,
                region: Region::NONE,
            },
            jobs: Mutex::new(VecDeque::new()),
        }
    }

    /// Queues `job` (which must be in `region`, the region the returned proxy is pushed in)
    /// and returns the proxy that will run the oldest job of that region.
    ///
    /// # Safety
    /// `self` must stay where it is, alive, until every proxy it returned has run.
    pub(crate) unsafe fn push(&self, job: JobRef, region: Region) -> JobRef {
        self.jobs.lock().push_back(job.in_region(region));
        // SAFETY: the header is first in this `#[repr(C)]` struct, its `execute` matches,
        // and the caller keeps `self` alive until the proxy has run. The pointer is made from
        // the whole struct, not the header field, so `execute_oldest` may reach `jobs`
        // through it (miri: a pointer to a field is valid for that field only).
        unsafe { JobRef::new(NonNull::from(self).cast::<JobHeader>()) }
    }

    /// Runs the oldest job of the region the running worker is in.
    unsafe fn execute_oldest(header: NonNull<JobHeader>) {
        // SAFETY: the header is the first field of a live `JobFifo` (see `push`).
        let this = unsafe { header.cast::<JobFifo>().as_ref() };
        let region = WorkerThread::current().map_or(Region::NONE, WorkerThread::region);
        let job = {
            let mut jobs = this.jobs.lock();
            let at = jobs
                .iter()
                .position(|job| job.region() == region)
                .expect("a FIFO proxy runs in the region of a queued job");
            jobs.remove(at).expect("the position was found")
        };
        job.execute();
    }
}

impl std::fmt::Debug for JobFifo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobFifo")
            .field("jobs", &self.jobs.lock().len())
            .finish()
    }
}
