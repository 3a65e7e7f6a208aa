using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Unikraft.Gen.Helpers
{
    // A source location as plain data: Location holds the syntax tree, which must never be cached
    // in a pipeline model.
    internal sealed record LocationInfo(string FilePath, TextSpan TextSpan, LinePositionSpan LineSpan)
    {
        public int Line => LineSpan.Start.Line + 1;

        public Location ToLocation() => Location.Create(FilePath, TextSpan, LineSpan);

        public static LocationInfo From(SyntaxNode node)
        {
            Location location = node.GetLocation();
            return new LocationInfo(node.SyntaxTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
        }
    }
}
