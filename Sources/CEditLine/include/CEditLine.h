#ifndef CEDITLINE_H
#define CEDITLINE_H

// Fixed-arity wrappers over libedit's variadic el_set/el_get/history calls, which Swift cannot
// call. Each wrapper does one thing; the Swift side (LineEditor) decides when.

#include <histedit.h>
#include <stddef.h>

typedef char *(*ceditline_prompt_fn)(EditLine *);
typedef unsigned char (*ceditline_command_fn)(EditLine *, int);
typedef int (*ceditline_getc_fn)(EditLine *, wchar_t *);

/// el_init on the process's stdin/stdout/stderr (Swift 6 cannot name those C globals).
EditLine *ceditline_init(const char *program);

int ceditline_set_prompt(EditLine *el, ceditline_prompt_fn prompt);
int ceditline_set_editor(EditLine *el, const char *mode);
int ceditline_set_client_data(EditLine *el, void *data);
void *ceditline_client_data(EditLine *el);
int ceditline_add_function(EditLine *el, const char *name, const char *help, ceditline_command_fn fn);
int ceditline_bind(EditLine *el, const char *key, const char *function);

int ceditline_refresh(EditLine *el);
int ceditline_set_edit_mode(EditLine *el, int on);
int ceditline_use_history(EditLine *el, History *history);
int ceditline_terminal_columns(EditLine *el);

History *ceditline_history_init(int size);
int ceditline_history_enter(History *history, const char *line);
int ceditline_history_load(History *history, const char *path);
int ceditline_history_save(History *history, const char *path);
int ceditline_history_clear(History *history);
void ceditline_history_end(History *history);

/// Reads one byte from the terminal the way libedit's own reader would, returning 1 on a byte,
/// 0 on end of file and -1 on error (errno set).
int ceditline_read_byte(int fd, unsigned char *byte);

#endif

// ---- Reading with wake-ups and signals ----
//
// libedit's own signal handling (EL_SIGNAL) is not used: the reader below waits in poll() on the
// terminal, on a wake-up descriptor (events from the network) and on a pipe written by our
// signal handlers. SIGWINCH is handled inside the reader; SIGINT, SIGTSTP and SIGCONT make it
// return -1 with errno EINTR, so that el_gets returns and the caller decides.

typedef void (*ceditline_wake_fn)(EditLine *);

/// Installs SIGINT, SIGWINCH and SIGCONT handlers (without SA_RESTART) that report through a pipe.
/// Returns 0 on success.
int ceditline_install_signal_handlers(void);

/// The last signal that interrupted a read (SIGINT, SIGCONT), or 0; clears it.
int ceditline_take_interrupting_signal(void);

/// Makes `el` read through ceditline's poll-based reader. `wake_fd` (or -1) becomes readable
/// when `on_wake` should run; `on_wake` may print and must then call ceditline_refresh.
int ceditline_use_poll_reader(EditLine *el, int wake_fd, ceditline_wake_fn on_wake);

/// Waits until `fd` is readable, a signal arrives, or `timeout_ms` passes (-1: forever).
/// Returns 1 if readable, 0 on timeout, -1 if a signal interrupted (see take_interrupting_signal).
int ceditline_wait_readable(int fd, int timeout_ms);

/// Turns terminal echo on or off for standard input (for secrets). Returns 0 on success.
int ceditline_set_echo(int on);
