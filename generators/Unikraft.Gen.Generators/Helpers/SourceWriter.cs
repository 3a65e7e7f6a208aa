using System.Text;

namespace Unikraft.Gen.Helpers
{
    // A small indenting writer for emitted C#: four spaces a level, '\n' line ends.
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _builder = new StringBuilder();
        private int _depth;

        public SourceWriter Line(string text = "")
        {
            if (text.Length > 0)
            {
                _builder.Append(' ', _depth * 4);
            }

            _builder.Append(text).Append('\n');
            return this;
        }

        public SourceWriter Open(string text)
        {
            Line(text);
            Line("{");
            _depth++;
            return this;
        }

        public SourceWriter Close(string suffix = "")
        {
            _depth--;
            Line("}" + suffix);
            return this;
        }

        public override string ToString() => _builder.ToString();
    }
}
