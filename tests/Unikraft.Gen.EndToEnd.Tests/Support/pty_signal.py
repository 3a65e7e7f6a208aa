# Runs a command on a new pseudo-terminal of the given size, sends it a signal once its output shows
# a prompt, and reports how it left the terminal (MicroVmSuiteTests: the runner must put the
# terminal back however it ends).
#
#   python3 pty_signal.py <columns> <rows> <prompt> <signal number> -- <command...>
#
# The signal goes to the command's process only, not its process group. stdout is what the terminal
# showed; stderr's last line is "exit <status> canonical <0|1> echo <0|1>", as pty_run.py writes it,
# with the mode seen while the prompt showed before it: "before canonical <0|1> echo <0|1>".
import fcntl, os, pty, select, struct, subprocess, sys, termios, time

columns, rows, prompt, signal = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode(), int(sys.argv[4])
command = sys.argv[sys.argv.index('--') + 1:]
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', rows, columns, 0, 0))
process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, start_new_session=True, close_fds=True)

def mode():
    lflag = termios.tcgetattr(slave)[3]
    return 'canonical %d echo %d' % (1 if lflag & termios.ICANON else 0, 1 if lflag & termios.ECHO else 0)

output = b''
sent = False
deadline = time.time() + 180
while time.time() < deadline:
    ready, _, _ = select.select([master], [], [], 0.2)
    if ready:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        output += data
    if not sent and prompt in output:
        time.sleep(0.3)
        sys.stderr.write('before %s\n' % mode())
        process.send_signal(signal)
        sent = True
    if process.poll() is not None and not ready:
        break
if process.poll() is None:
    process.kill()
status = process.wait(timeout=10)
sys.stdout.buffer.write(output)
sys.stdout.flush()
sys.stderr.write('exit %d %s\n' % (status, mode()))
