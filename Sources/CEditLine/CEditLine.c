#include "CEditLine.h"

#include <stdio.h>
#include <unistd.h>

EditLine *ceditline_init(const char *program) {
    return el_init(program, stdin, stdout, stderr);
}

int ceditline_set_prompt(EditLine *el, ceditline_prompt_fn prompt) {
    return el_set(el, EL_PROMPT, prompt);
}

int ceditline_set_editor(EditLine *el, const char *mode) {
    return el_set(el, EL_EDITOR, mode);
}

int ceditline_set_client_data(EditLine *el, void *data) {
    return el_set(el, EL_CLIENTDATA, data);
}

void *ceditline_client_data(EditLine *el) {
    void *data = NULL;
    if (el_get(el, EL_CLIENTDATA, &data) != 0) {
        return NULL;
    }
    return data;
}

int ceditline_add_function(EditLine *el, const char *name, const char *help, ceditline_command_fn fn) {
    return el_set(el, EL_ADDFN, name, help, fn);
}

int ceditline_bind(EditLine *el, const char *key, const char *function) {
    return el_set(el, EL_BIND, key, function, NULL);
}

int ceditline_refresh(EditLine *el) {
    return el_set(el, EL_REFRESH);
}

int ceditline_set_edit_mode(EditLine *el, int on) {
    return el_set(el, EL_EDITMODE, on);
}

int ceditline_use_history(EditLine *el, History *h) {
    return el_set(el, EL_HIST, history, h);
}

int ceditline_terminal_columns(EditLine *el) {
    int columns = 80;
    if (el_get(el, EL_GETTC, "co", &columns) != 0 || columns <= 0) {
        return 80;
    }
    return columns;
}

History *ceditline_history_init(int size) {
    HistEvent event;
    History *h = history_init();
    if (h == NULL) {
        return NULL;
    }
    history(h, &event, H_SETSIZE, size);
    history(h, &event, H_SETUNIQUE, 1);
    return h;
}

int ceditline_history_enter(History *h, const char *line) {
    HistEvent event;
    return history(h, &event, H_ENTER, line);
}

int ceditline_history_load(History *h, const char *path) {
    HistEvent event;
    return history(h, &event, H_LOAD, path);
}

int ceditline_history_save(History *h, const char *path) {
    HistEvent event;
    return history(h, &event, H_SAVE, path);
}

int ceditline_history_clear(History *h) {
    HistEvent event;
    return history(h, &event, H_CLEAR);
}

void ceditline_history_end(History *h) {
    history_end(h);
}

int ceditline_read_byte(int fd, unsigned char *byte) {
    ssize_t n = read(fd, byte, 1);
    if (n < 0) {
        return -1;
    }
    return (int)n;
}

// ---- Reading with wake-ups and signals ----

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <wchar.h>

static int signal_pipe[2] = {-1, -1};
static volatile sig_atomic_t interrupting_signal = 0;
static int reader_wake_fd = -1;
static ceditline_wake_fn reader_on_wake = NULL;

static void ceditline_signal_handler(int signo) {
    int saved = errno;
    unsigned char byte = (unsigned char)signo;
    if (signo == SIGINT || signo == SIGCONT) {
        interrupting_signal = signo;
    }
    if (signal_pipe[1] >= 0) {
        (void)write(signal_pipe[1], &byte, 1);
    }
    errno = saved;
}

int ceditline_install_signal_handlers(void) {
    if (signal_pipe[0] < 0) {
        if (pipe(signal_pipe) != 0) {
            return -1;
        }
        for (int i = 0; i < 2; i++) {
            fcntl(signal_pipe[i], F_SETFL, fcntl(signal_pipe[i], F_GETFL) | O_NONBLOCK);
            fcntl(signal_pipe[i], F_SETFD, FD_CLOEXEC);
        }
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = ceditline_signal_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; // no SA_RESTART: poll() must return EINTR
    if (sigaction(SIGINT, &action, NULL) != 0) return -1;
    if (sigaction(SIGWINCH, &action, NULL) != 0) return -1;
    if (sigaction(SIGCONT, &action, NULL) != 0) return -1;
    return 0;
}

int ceditline_take_interrupting_signal(void) {
    int signo = interrupting_signal;
    interrupting_signal = 0;
    return signo;
}

static int drain_signal_pipe(void) {
    unsigned char bytes[64];
    int saw_winch = 0;
    ssize_t n;
    while ((n = read(signal_pipe[0], bytes, sizeof bytes)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (bytes[i] == SIGWINCH) saw_winch = 1;
        }
    }
    return saw_winch;
}

static int poll_reader(EditLine *el, wchar_t *out) {
    mbstate_t state;
    memset(&state, 0, sizeof state);
    for (;;) {
        if (interrupting_signal) {
            errno = EINTR;
            return -1;
        }
        struct pollfd fds[3];
        int count = 0;
        fds[count].fd = STDIN_FILENO; fds[count].events = POLLIN; count++;
        int sig_index = -1, wake_index = -1;
        if (signal_pipe[0] >= 0) { sig_index = count; fds[count].fd = signal_pipe[0]; fds[count].events = POLLIN; count++; }
        if (reader_wake_fd >= 0) { wake_index = count; fds[count].fd = reader_wake_fd; fds[count].events = POLLIN; count++; }
        int ready = poll(fds, (nfds_t)count, -1);
        if (ready < 0) {
            if (errno == EINTR) continue; // the handler recorded what matters; loop re-checks
            return -1;
        }
        if (sig_index >= 0 && (fds[sig_index].revents & POLLIN)) {
            if (drain_signal_pipe()) {
                el_resize(el);
                el_set(el, EL_REFRESH);
            }
            continue;
        }
        if (wake_index >= 0 && (fds[wake_index].revents & POLLIN) && reader_on_wake != NULL) {
            reader_on_wake(el);
            continue;
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char byte;
            ssize_t n = read(STDIN_FILENO, &byte, 1);
            if (n == 0) return 0;
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                return -1;
            }
            wchar_t wc;
            size_t used = mbrtowc(&wc, &byte, 1, &state);
            if (used == (size_t)-2) continue; // incomplete multibyte sequence: read more
            if (used == (size_t)-1) {
                memset(&state, 0, sizeof state);
                wc = (wchar_t)(unsigned char)byte;
            }
            *out = wc;
            return 1;
        }
    }
}

int ceditline_use_poll_reader(EditLine *el, int wake_fd, ceditline_wake_fn on_wake) {
    reader_wake_fd = wake_fd;
    reader_on_wake = on_wake;
    return el_wset(el, EL_GETCFN, poll_reader);
}

int ceditline_wait_readable(int fd, int timeout_ms) {
    for (;;) {
        if (interrupting_signal == SIGINT) return -1;
        struct pollfd fds[2];
        int count = 0;
        fds[count].fd = fd; fds[count].events = POLLIN; count++;
        if (signal_pipe[0] >= 0) { fds[count].fd = signal_pipe[0]; fds[count].events = POLLIN; count++; }
        int ready = poll(fds, (nfds_t)count, timeout_ms);
        if (ready < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (ready == 0) return 0;
        if (count > 1 && (fds[1].revents & POLLIN)) {
            drain_signal_pipe();
            continue;
        }
        return 1;
    }
}

int ceditline_set_echo(int on) {
    struct termios settings;
    if (tcgetattr(STDIN_FILENO, &settings) != 0) return -1;
    if (on) settings.c_lflag |= ECHO; else settings.c_lflag &= ~(tcflag_t)ECHO;
    return tcsetattr(STDIN_FILENO, TCSAFLUSH, &settings);
}
