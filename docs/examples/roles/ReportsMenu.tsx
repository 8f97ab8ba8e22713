// In a React app behind the server above (see the React guide for the provider).
// #region use-permission
import { RequirePermission, usePermission, useRole } from '@latchkey/react';

export function ReportsMenu() {
  // The session's grants, with the server's rule: 'reports:*' covers 'reports:export'.
  const canExport = usePermission('reports:export');
  const isAdmin = useRole('admin');
  return (
    <nav>
      <RequirePermission permission="reports:read" fallback={<p>No reports for you.</p>}>
        <a href="/reports">Reports</a>
      </RequirePermission>
      {canExport && <a href="/reports/export">Export</a>}
      {isAdmin && <a href="/admin">Admin</a>}
    </nav>
  );
}
// #endregion use-permission
