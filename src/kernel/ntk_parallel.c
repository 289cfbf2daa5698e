/* The tile engine's parallel loop: OpenMP over tiles with single-threaded BLAS
 * inside, or tiles in order with threaded BLAS. Never BLAS threads inside an
 * OpenMP region. */
#include "ntk_internal.h"

#include <cblas.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int run_serial(ntk_job *j, ntk_thread *th, size_t ntasks, ntk_task_fn fn, void *arg) {
    for (size_t t = 0; t < ntasks; t++) {
        int rc = fn(j, &th[0], t, arg);
        if (rc) return rc;
    }
    return WL_OK;
}

int wl_ntk_parallel_for(ntk_job *j, ntk_thread *th, int nth, size_t ntasks, ntk_task_fn fn,
                        void *arg) {
    if (nth <= 1 || ntasks <= 1 || j->plan.parallel == WL_NTK_PAR_BLAS)
        return run_serial(j, th, ntasks, fn, arg);
#ifdef _OPENMP
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    int err = WL_OK;
    char msg[1024] = "";
    size_t next = 0;
#pragma omp parallel num_threads(nth)
    {
        ntk_thread *me = &th[omp_get_thread_num()];
        for (;;) {
            size_t t;
            int stop;
#pragma omp critical(wl_ntk_next)
            {
                t = next++;
                stop = err != WL_OK;
            }
            if (stop || t >= ntasks) break;
            int rc = fn(j, me, t, arg);
            if (rc) {
#pragma omp critical(wl_ntk_next)
                {
                    if (!err) {
                        err = rc;
                        snprintf(msg, sizeof msg, "%s", wl_errmsg());
                    }
                }
            }
        }
    }
    openblas_set_num_threads(blas_threads);
    if (err) return wl_seterr(err, "%s", msg);
    return WL_OK;
#else
    return run_serial(j, th, ntasks, fn, arg);
#endif
}
