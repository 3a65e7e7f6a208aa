# Runs a command on a new pseudo-terminal of the given size, types keys once its output shows a
# prompt, and reports what it wrote and how it left the terminal (TerminalTests).
#
#   python3 pty_run.py <columns> <rows> <prompt> <keys> -- <command...>
#
# keys are written with Python escapes (\x1bOA is the up arrow in keypad mode). The program's bytes
# go to stdout as they came from the terminal; stderr's last line is
# "exit <status> canonical <0|1> echo <0|1>": the terminal's mode after the program ended.
import fcntl, os, pty, select, struct, subprocess, sys, termios, time

columns, rows, prompt, keys = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
keys = keys.encode().decode('unicode_escape').encode('latin-1')
command = sys.argv[sys.argv.index('--') + 1:]
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', rows, columns, 0, 0))
process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, start_new_session=True, close_fds=True)
output = b''
typed = False
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
    if not typed and prompt in output:
        time.sleep(0.3)
        os.write(master, keys)
        typed = True
    if process.poll() is not None and not ready:
        break
if process.poll() is None:
    process.kill()
status = process.wait(timeout=10)
lflag = termios.tcgetattr(slave)[3]
sys.stdout.buffer.write(output)
sys.stdout.flush()
sys.stderr.write('exit %d canonical %d echo %d\n' % (status, 1 if lflag & termios.ICANON else 0, 1 if lflag & termios.ECHO else 0))
