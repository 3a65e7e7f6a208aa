# Runs a command on a new pseudo-terminal of the given size that is its controlling terminal (so a
# resize sends it SIGWINCH, as a terminal emulator's does), takes the steps in order, and reports
# what it wrote and how it left the terminal (MicroVmSuiteTests).
#
#   python3 pty_steps.py <columns> <rows> <step>... -- <command...>
#
# Steps: wait=<text> (until the output so far shows it; after 30 s without it the steps stop there,
# and the command is killed once it has not ended within 30 s more), keys=<Python escapes> (typed: \x03 is
# Ctrl-C), resize=<columns>x<rows> (TIOCSWINSZ on the terminal), sleep=<seconds>. The program's
# bytes go to stdout as they came from the terminal; stderr's last line is
# "exit <status> canonical <0|1> echo <0|1>", as pty_run.py writes it, after a line
# "steps <n done> of <n>".
import fcntl, os, pty, select, struct, subprocess, sys, termios, time

columns, rows = int(sys.argv[1]), int(sys.argv[2])
separator = sys.argv.index('--')
steps = sys.argv[3:separator]
command = sys.argv[separator + 1:]
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', rows, columns, 0, 0))


def control():
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                           close_fds=True, preexec_fn=control)
output = b''
done = 0
deadline = time.time() + 180
ended = False
waited = None
stopped = False


def read(timeout):
    global output, ended
    ready, _, _ = select.select([master], [], [], timeout)
    if ready:
        try:
            data = os.read(master, 4096)
        except OSError:
            data = b''
        if not data:
            ended = True
        output += data
    return ready


while time.time() < deadline and not ended:
    if done < len(steps) and not stopped:
        kind, _, value = steps[done].partition('=')
        if kind == 'wait':
            if value.encode() in output:
                done += 1
                waited = None
                continue
            waited = waited or time.time()
            read(0.2)
            if process.poll() is not None and value.encode() not in output:
                read(0.2)
                break
            if time.time() - waited > 30:
                deadline = min(deadline, time.time() + 30)
                stopped = True
            continue
        if kind == 'keys':
            time.sleep(0.3)
            os.write(master, value.encode().decode('unicode_escape').encode('latin-1'))
        elif kind == 'resize':
            width, _, height = value.partition('x')
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack('HHHH', int(height), int(width), 0, 0))
        elif kind == 'sleep':
            end = time.time() + float(value)
            while time.time() < end:
                read(0.05)
        done += 1
        continue
    ready = read(0.2)
    if process.poll() is not None and not ready:
        break
if process.poll() is None:
    process.kill()
status = process.wait(timeout=10)
lflag = termios.tcgetattr(slave)[3]
sys.stdout.buffer.write(output)
sys.stdout.flush()
sys.stderr.write('steps %d of %d\n' % (done, len(steps)))
sys.stderr.write('exit %d canonical %d echo %d\n' % (status, 1 if lflag & termios.ICANON else 0, 1 if lflag & termios.ECHO else 0))
